"""The standard types the supervision engine reads (``foundation.parameters``, time-versioned per
region): the rectification limit of a hazard by its level, and the escalation step of an overdue one.

A region sets them with ``standards set``; the most specific row in force on the day the hazard is
found wins (a county may be stricter than its province)."""

from minzheng.foundation.parameters.standards import DAYS, standard_type

LEVEL_MODES = (("general", "一般隐患"), ("major", "重大隐患"))

RECTIFICATION_DAYS = standard_type(
    "supervision_rectification_days",
    "隐患整改期限",
    DAYS,
    "天",
    modes=LEVEL_MODES,
    program="supervision",
    help="自检查之日起的自然日；重大隐患通常短于一般隐患",
)
ESCALATION_DAYS = standard_type(
    "supervision_escalation_days",
    "逾期隐患升级间隔",
    DAYS,
    "天",
    modes=LEVEL_MODES,
    program="supervision",
    help="隐患逾期后每满该天数仍未销号，升级一次并告知上一级民政部门",
)
