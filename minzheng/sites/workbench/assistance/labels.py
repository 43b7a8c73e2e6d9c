"""How the 低保 line's assessment results read on a page (the assessment page and the roll use them):
the line's one definition (:mod:`minzheng.business.assistance.assessment`)."""

from minzheng.business.assistance.assessment import CLASSIFICATION_LABELS as CLASSIFICATIONS
from minzheng.business.assistance.assessment import COMPONENT_LABELS as COMPONENTS
from minzheng.business.assistance.casework import TEKUN_MODE_LABELS as TEKUN_MODES

__all__ = ["CLASSIFICATIONS", "COMPONENTS", "TEKUN_MODES"]
