"""The social-assistance programs and the standard types they read, with the nationwide policy
parameters (each with its citation). Local amounts (低保标准, 特困 care, 分类施保 …) have no
nationwide value: a region without them gets a clear "not configured" error, never a guess.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from minzheng.engines.benefits.standards import program_line
from minzheng.foundation.parameters.exclusions import exclusion_scope
from minzheng.foundation.parameters.standards import (
    AMOUNT,
    CHOICE,
    COUNT,
    DAYS,
    FLAG,
    MONTHS,
    MULTIPLE,
    RATE,
    standard_type,
)

PROGRAMS = [
    # code, name, short, pays monthly, payment reference prefix
    ("dibao", "最低生活保障", "低保", True, "DB"),
    ("tekun", "特困人员救助供养", "特困", True, "TK"),
    ("dibao_edge", "低保边缘家庭", "低保边缘", False, "BY"),
    ("rigid_expense", "刚性支出困难家庭", "刚性支出", False, "GZ"),
    ("temp_assistance", "临时救助", "临时救助", False, "LS"),
]

# the income kinds of 民发〔2021〕57号 第十三条 (the schema's ``IncomeKind``); which of them are left
# out of income is policy data per region and date (``FAMILY_INCOME`` / ``TEKUN_INCOME``
# exclusions, seeded with their citations; ADR 0017), never a list here
INCOME_LABELS = {
    "wages": "工资性收入",
    "business": "经营净收入",
    "property": "财产净收入",
    "transfer": "转移净收入",
    "basic_pension": "城乡居民基础养老金",
    "special_care_pension": "优抚金",
    "assistance": "政府救助款物",
    "longevity_allowance": "高龄津贴",
    "award": "奖励金（见义勇为、奖扶金等）",
}
# the rules whose income exclusions are data (seeded with their citations by the migration
# ``assistance.0002_income_exclusions``): 低保 family income (also 边缘 and 刚性支出, 民发〔2021〕57号
# 第十三条) and a 特困 applicant's own income (特困人员认定办法第六条)
FAMILY_INCOME, TEKUN_INCOME = "family_income", "tekun_income"
exclusion_scope(FAMILY_INCOME, "低保家庭收入", INCOME_LABELS)
exclusion_scope(TEKUN_INCOME, "特困人员本人收入", INCOME_LABELS)

SELF_CARE_MODES = (("full", "全自理"), ("partial", "半护理（部分丧失）"), ("none", "全护理（完全丧失）"))
TEKUN_MODES = (("dispersed", "分散供养"), ("centralised", "集中供养"))
TEMP_MODES = (("emergency", "急难型"), ("expenditure", "支出型"))
REVIEW_MODES = (("A", "A类"), ("B", "B类"), ("C", "C类"))

standard_type("dibao_monthly", "低保标准", AMOUNT, "元/人·月", program="dibao",
              help="暂行办法第九条；审核确认办法第二十三条")  # fmt: skip
program_line("dibao", "dibao_monthly")  # the monthly statistics report its average
standard_type("edge_multiple", "低保边缘倍数", MULTIPLE, "倍低保标准", program="dibao_edge")
standard_type("single_person_enabled", "低保边缘家庭重残重病成员参照单人户", FLAG, "", program="dibao")
standard_type("category_topup_monthly", "分类施保加发", AMOUNT, "元/人·月", program="dibao")
standard_type("tekun_basic_monthly", "特困基本生活标准", AMOUNT, "元/人·月", modes=TEKUN_MODES, program="tekun")
standard_type("tekun_basic_multiple", "特困基本生活标准（低保倍数）", MULTIPLE, "倍低保标准", modes=TEKUN_MODES,
              program="tekun", help="未配置金额时按倍数计算；原则上不低于 1.3 倍")  # fmt: skip
standard_type("tekun_care_monthly", "特困照料护理标准", AMOUNT, "元/人·月", modes=SELF_CARE_MODES, program="tekun")
standard_type("longevity_allowance_excluded", "高龄津贴不计入低保家庭收入", FLAG, "", program="dibao",
              help="审核确认办法第十三条未将高龄津贴列为不计入收入的项目，由设区的市级以上人民政府规定；"
                   "特困认定不计入高龄津贴是全国规定（特困人员认定办法第六条）")  # fmt: skip
standard_type("employment_cost_rate", "就业成本扣除比例", RATE, "工资性收入的比例", program="dibao")
standard_type("rigid_expense_deductible", "刚性支出从收入中扣减", FLAG, "", program="dibao")
standard_type("financial_assets_months", "金融资产限额", MONTHS, "个月低保标准/人", program="dibao")
standard_type("houses_allowed", "住房套数上限", COUNT, "套", program="dibao")
standard_type("non_residential_houses_allowed", "非住宅房产上限", COUNT, "套", program="dibao")
standard_type("vehicles_allowed", "机动车上限", COUNT, "辆", program="dibao")
standard_type("business_registrations_allowed", "市场主体登记上限", COUNT, "户", program="dibao")
standard_type("rigid_expense_share", "刚性支出占收入比例", RATE, "家庭收入的比例", program="rigid_expense")
standard_type("rigid_expense_income_line_annual", "刚性支出困难家庭收入线", AMOUNT, "元/人·年",
              program="rigid_expense", help="上年度当地居民人均可支配收入")  # fmt: skip
standard_type("rounding", "低保金额取整规则", CHOICE, "",
              choices=(("ceil_yuan", "向上取整到元"), ("round_fen", "四舍五入到分")), program="dibao")  # fmt: skip
standard_type("phase_out_months", "渐退期", MONTHS, "个月", program="dibao")
standard_type("phase_out_amount_share", "渐退期发放比例", RATE, "原保障金额的比例", program="dibao")
standard_type("phase_out_reminder_days", "渐退期到期提醒", DAYS, "天", program="dibao")
standard_type("review_cadence_months", "定期复核周期", MONTHS, "个月", modes=REVIEW_MODES, program="dibao")
standard_type("phase_out_trigger", "渐退触发条件", CHOICE, "",
              choices=(("edge_band", "人均收入进入低保边缘区间"), ("above_line", "人均收入超过低保标准")), program="dibao",
              help="2022 兜底通知 §一(三)；触发范围为地方设定")  # fmt: skip
standard_type("death_change_months", "死亡后完成增发、减发、停发的期限", MONTHS, "个月", program="dibao",
              help="2022 兜底通知：保障对象死亡的，3个月内完成")  # fmt: skip
standard_type("temp_assistance_months", "临时救助月数上限", MONTHS, "个月低保标准/人", modes=TEMP_MODES,
              program="temp_assistance")  # fmt: skip
standard_type("temp_assistance_cap", "临时救助单次上限", AMOUNT, "元/户·次", modes=TEMP_MODES,
              program="temp_assistance")  # fmt: skip
standard_type("temp_assistance_township_limit", "乡镇审批临时救助限额", AMOUNT, "元/户·次",
              program="temp_assistance", help="暂行办法第四十八条：县级可委托乡镇审批")  # fmt: skip
standard_type("temp_assistance_period_months", "临时救助累计期间", MONTHS, "个月", program="temp_assistance",
              help="2018 临时救助意见：同一家庭在此期间内获得的临时救助累计计算（地方设定；未设定的不限期间累计）")  # fmt: skip
standard_type("temp_assistance_period_cap", "临时救助期间累计上限", AMOUNT, "元/户", program="temp_assistance",
              help="同一家庭在累计期间内获得临时救助的合计上限（地方设定）")  # fmt: skip

NATIONWIDE_FROM = dt.date(2021, 7, 1)  # 民发〔2021〕57号 in force

# scope, kind, citation — the nationwide income exclusions, region '' (全国), from NATIONWIDE_FROM;
# seeded by the migration assistance.0002_income_exclusions and ensured after every migrate/flush
_ART13, _ART6 = "民发〔2021〕57号 第十三条", "特困人员认定办法 第六条"
NATIONWIDE_EXCLUSIONS = [
    (FAMILY_INCOME, "basic_pension", f"{_ART13}：城乡居民基本养老保险中的基础养老金（“十四五”期间）"),
    (FAMILY_INCOME, "special_care_pension", f"{_ART13}：优待抚恤金"),
    (FAMILY_INCOME, "assistance", f"{_ART13}：政府发放的各类社会救助款物"),
    (FAMILY_INCOME, "award", f"{_ART13}：计划生育奖励与扶助金、奖学金、见义勇为等奖励性补助"),
    (TEKUN_INCOME, "basic_pension", f"{_ART6}：基础养老金不计入收入"),
    (TEKUN_INCOME, "special_care_pension", f"{_ART6}：优抚金不计入收入"),
    (TEKUN_INCOME, "longevity_allowance", f"{_ART6}：高龄津贴不计入收入"),
    (TEKUN_INCOME, "assistance", f"{_ART6}（收入按 {_ART13} 认定）：政府发放的各类社会救助款物"),
    (TEKUN_INCOME, "award", f"{_ART6}（收入按 {_ART13} 认定）：计划生育奖励与扶助金、奖学金、见义勇为等奖励性补助"),
]

# key, hukou, mode, value (Decimal or str), citation — the nationwide defaults, region '' (全国)
NATIONWIDE = [
    ("edge_multiple", "", "", Decimal("1.5"), "民发〔2021〕57号 第八条"),
    ("single_person_enabled", "", "", Decimal(1), "2022 兜底通知：重病重残成员参照单人户"),
    ("tekun_basic_multiple", "", "dispersed", Decimal("1.3"), "特困认定办法：基本生活标准原则上不低于低保标准1.3倍"),
    ("tekun_basic_multiple", "", "centralised", Decimal("1.3"), "特困认定办法：基本生活标准原则上不低于低保标准1.3倍"),
    ("employment_cost_rate", "", "", Decimal("0.1"), "民发〔2021〕57号 第十三条（扣除比例为地方设定，默认10%）"),
    ("rigid_expense_deductible", "", "", Decimal(1), "民发〔2021〕57号 第十三条"),
    (
        "longevity_allowance_excluded",
        "",
        "",
        Decimal(0),
        "民发〔2021〕57号 第十三条：不计入收入的全国列举项目不含高龄津贴",
    ),
    ("financial_assets_months", "", "", Decimal(24), "民发〔2021〕57号 第十四条（限额为地方设定，默认24个月）"),
    ("houses_allowed", "", "", Decimal(1), "民发〔2021〕57号 第十四条（地方设定）"),
    ("non_residential_houses_allowed", "", "", Decimal(0), "民发〔2021〕57号 第十四条（地方设定）"),
    ("vehicles_allowed", "", "", Decimal(0), "民发〔2021〕57号 第十四条（地方设定）"),
    ("business_registrations_allowed", "", "", Decimal(0), "民发〔2021〕57号 第十四条（地方设定）"),
    ("rigid_expense_share", "", "", Decimal("0.6"), "2025 刚性支出办法（比例为地方设定，默认60%）"),
    ("rounding", "", "", "ceil_yuan", "民发〔2021〕57号 第二十三条（取整方式为地方设定）"),
    ("phase_out_months", "", "", Decimal(6), "2022 兜底通知 §一(三)：渐退期一般不超过6个月"),
    ("phase_out_amount_share", "", "", Decimal(1), "2022 兜底通知 §一(三)（渐退期金额为地方设定）"),
    ("phase_out_reminder_days", "", "", Decimal(30), "地方设定：到期前30天提醒"),
    ("phase_out_trigger", "", "", "edge_band", "2022 兜底通知 §一(三)（触发范围为地方设定，默认同林口县）"),
    ("death_change_months", "", "", Decimal(3), "2022 兜底通知：保障对象死亡的，3个月内完成增发、减发或停发"),
    ("review_cadence_months", "", "A", Decimal(12), "民发〔2021〕57号 第三十一条：收入稳定的每年复核"),
    ("review_cadence_months", "", "B", Decimal(12), "民发〔2021〕57号 第三十一条"),
    ("review_cadence_months", "urban", "C", Decimal(3), "民发〔2021〕57号 第三十一条：收入不稳定的按季（城市）"),
    ("review_cadence_months", "rural", "C", Decimal(6), "民发〔2021〕57号 第三十一条：收入不稳定的每半年（农村）"),
]
