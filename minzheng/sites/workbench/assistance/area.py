from minzheng.engines.cases.hooks import case_value_text

from ..areas import Area, area_register
from ..cases.composite import composite_field
from ..menu import MenuEntry
from ..registry.household_links import household_link
from .forms_facts import FactsFields, facts_summary
from .roll_changes import register as roll_changes_register

# the investigation's facts: a table per member on the case page, one line in a case's history
composite_field("household_facts")(FactsFields)
case_value_text("household_facts", facts_summary)
roll_changes_register()  # 发起变更 on the enrollment page of the line's programs
household_link("assistance.chain", "救助链", "workbench:assistance:household_chain", "monitoring.view")

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
