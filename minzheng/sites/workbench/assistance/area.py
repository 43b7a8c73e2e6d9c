from minzheng.engines.cases.hooks import case_value_text

from ..areas import Area, area_register
from ..menu import MenuEntry
from .forms_facts import facts_summary

# the investigation's facts in one line, where a case's history shows what was recorded
case_value_text("household_facts", facts_summary)

area_register(
    Area(
        namespace="assistance",
        urls="minzheng.sites.workbench.assistance.urls",
        label="社会救助",
        order=40,
        menu=(
            MenuEntry("测算", "workbench:assistance:assess", "assistance", 10, "benefits.assess"),
            MenuEntry("提标测算", "workbench:assistance:simulation", "assistance", 80, "benefits.simulate"),
        ),
    )
)
