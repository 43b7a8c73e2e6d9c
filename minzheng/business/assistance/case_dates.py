"""Dates on the social-assistance case forms that record when something was done for the case: the
入户调查 visit (审核确认办法 第十六条) and the county's 特困 re-check (特困人员认定办法 第十五条). The
case engine takes them only within sense (not before the application, not after the day of the
action, not more than a year back), so a typed 1900-01-01 is refused with the reason."""

from minzheng.engines.cases.hooks import case_act_dates

case_act_dates("assistance.investigation", "visit_date")
case_act_dates("assistance.selfcare", "visit_date")
case_act_dates("assistance.recheck", "recheck_date")
