"""What the eldercare line declares: the care-home kind (养老机构) of the supervision engine with its
typed attributes and permits, and the standard types it reads (prepaid-fee limits, incident time
limits), with the nationwide values seeded with their citations (``NATIONWIDE``; a region sets its
own with ``standards set``, the most specific row in force on the day wins).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from minzheng.engines.supervision.kinds import BOOL, CHOICE, DECIMAL, INT, TEXT, Attribute, PermitType, kind_declare
from minzheng.foundation.parameters.standards import COUNT, DAYS, MONTHS, MULTIPLE, standard_type

KIND = "care_home"

# 机构性质: 公办 (run by the state), 公建民营 (built by the state, run by an operator under contract),
# 民办, and the 特困人员供养服务机构 (敬老院, the township's home for 特困 persons in centralised support)
NATURES = (
    ("public", "公办"),
    ("public_private", "公建民营"),
    ("private", "民办"),
    ("tekun", "特困人员供养服务机构（敬老院）"),
)
PUBLIC_NATURES = ("public", "public_private", "tekun")  # 公办养老机构 in the grading target
# 隶属层级: a county home must reach 二级, a township home 一级 (the work plans' grading target)
LEVELS = (("county", "县级"), ("township", "乡镇（街道）级"), ("other", "其他"))
BED_ATTRIBUTES = ("beds_total", "beds_nursing", "beds_dementia", "beds_reserved")

CARE_HOME = kind_declare(
    KIND,
    "养老机构",
    attributes=(
        Attribute("nature", "机构性质", CHOICE, required=True, choices=NATURES),
        Attribute("level", "隶属层级", CHOICE, required=True, choices=LEVELS,
                  help="公办养老机构等级评定目标：县级二级以上、乡镇级一级以上"),
        Attribute("operator", "运营方", TEXT, max=200, help="公建民营的运营方，或举办者"),
        Attribute("beds_total", "床位总数", INT, required=True, min=0, max=100000, unit="张"),
        Attribute("beds_nursing", "护理型床位", INT, min=0, max=100000, unit="张"),
        Attribute("beds_dementia", "失智照护床位", INT, min=0, max=100000, unit="张"),
        Attribute("beds_reserved", "集中供养预留床位", INT, min=0, max=100000, unit="张",
                  help="为特困人员集中供养预留的床位"),
        Attribute("medical_integration", "医养结合", BOOL, help="内设医疗机构或与医疗机构签约合作"),
        Attribute("medical_note", "医养结合方式", TEXT, max=200),
        Attribute("monthly_fee_min", "月收费（最低）", DECIMAL, min=Decimal(0), max=Decimal(100000), unit="元/月",
                  help="床位费、护理费、伙食费合计，各档中最低的"),
        Attribute("monthly_fee_max", "月收费（最高）", DECIMAL, min=Decimal(0), max=Decimal(100000), unit="元/月",
                  help="床位费、护理费、伙食费合计，各档中最高的"),
        Attribute("fee_schedule", "收费标准", TEXT, max=1000, help="公示的收费项目和标准（床位费、护理费、伙食费等）"),
    ),
    permits=(
        # 2019 年修订的《老年人权益保障法》取消养老机构设立许可，改为备案（《养老机构管理办法》第九条）
        PermitType("filing", "养老机构备案", "filing"),
        PermitType("fire_safety", "消防验收（备案）或消防安全检查合格", "licence"),
    ),
    help="《养老机构管理办法》（民政部令第66号）",
)  # fmt: skip

standard_type("eldercare_prepaid_max_months", "养老服务费预收周期上限", MONTHS, "个月", program="eldercare",
              help="《关于加强养老机构预收费监管的指导意见》：预收养老服务费的周期不得超过12个月（地方可从严）")  # fmt: skip
standard_type("eldercare_deposit_max_multiple", "押金上限", MULTIPLE, "倍月服务费", program="eldercare",
              help="《关于加强养老机构预收费监管的指导意见》：押金原则上不超过老年人月床位费、护理费的12倍")  # fmt: skip
standard_type("eldercare_incident_report_hours", "突发事件报告时限", COUNT, "小时", program="eldercare",
              help="《养老机构管理办法》第三十六条：发生突发事件应当立即处置并及时报告（时限地方设定）")  # fmt: skip
standard_type("eldercare_incident_handle_days", "突发事件处置时限", DAYS, "天", program="eldercare",
              help="自报告之日起的自然日（地方设定）")  # fmt: skip
standard_type("eldercare_incident_close_days", "突发事件结案时限", DAYS, "天", program="eldercare",
              help="自报告之日起的自然日（地方设定）")  # fmt: skip

NATIONWIDE_FROM = dt.date(2024, 1, 1)
_PREPAID = "民政部等7部门《关于加强养老机构预收费监管的指导意见》（2023年12月）"
# key, value, citation — region '' (全国), from NATIONWIDE_FROM; ensured after every migrate, never overwritten
NATIONWIDE = [
    ("eldercare_prepaid_max_months", Decimal(12), f"{_PREPAID}：预收养老服务费的周期最长不超过12个月"),
    ("eldercare_deposit_max_multiple", Decimal(12), f"{_PREPAID}：押金原则上不超过月床位费、护理费之和的12倍"),
    ("eldercare_incident_report_hours", Decimal(2), "《养老机构管理办法》第三十六条（示例值：2小时内报告）"),
    ("eldercare_incident_handle_days", Decimal(7), "《养老机构管理办法》第三十六条（示例值：7日内处置完毕）"),
    ("eldercare_incident_close_days", Decimal(30), "《养老机构管理办法》第三十六条（示例值：30日内结案）"),
]
