from minzheng.engines.cases.hooks import case_value_text

from ..areas import Area, area_register
from ..cases.composite import composite_field
from ..menu import MenuEntry
from .forms_facts import FactsFields, facts_summary

# the investigation's facts: a table per member on the case page, one line in a case's history
composite_field("household_facts")(FactsFields)
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
