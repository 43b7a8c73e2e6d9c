"""The partner data sources (部门共享数据) the social-assistance line reads: what each department
holds, its stable code, how often it must be refreshed, and the columns of a batch.

Sources: 审核确认办法 (民发〔2021〕57号) 第十七条 (the items a county may query), 2022 兜底通知
(殡葬 and 死亡 records, 不动产, deposits, 公积金, pension, 市场主体), 2023 意见 §三(三) (教育, 人社
失业, 医保 重病, 残联 重度残疾); see ``shared/docs/domain/verification-monitoring.md`` §1.1, §2.2.

Each column: ``name`` (stable, what a batch file's header and the SQL use), ``label`` (Chinese),
``type`` (``id_number``, ``string``, ``date``, ``decimal``, ``integer``, ``boolean``,
``region_code``, ``choice``), ``required``, ``sensitive`` (stored encrypted with a masked
companion), ``choices`` (``[[value, 中文]]``), ``help`` (meaning; amounts are yuan), and optional
``min``/``max`` (numbers), ``max_length`` (text), ``format`` (``month`` for a date column holding a
month: ``2024-05`` is stored as 2024-05-01; ``uscc`` for a GB 32100 credit code).

Seeded after every migrate by :func:`sources_ensure`; what an administrator changed (owner,
freshness, enabled, description) is kept.
"""

from __future__ import annotations

from minzheng.engines.verification import store  # noqa: F401  (registers the sources.load job kind)


def _id(label: str = "身份证号", help: str = "居民身份证号码（18位，GB 11643 校验）") -> dict:
    return {"name": "id_number", "label": label, "type": "id_number", "required": True, "help": help}


def _name(label: str = "姓名") -> dict:
    return {
        "name": "name",
        "label": label,
        "type": "string",
        "required": True,
        "max_length": 50,
        "help": "与身份证一致的姓名",
    }


def _col(name, label, type_="string", *, required=False, help="", **extra) -> dict:
    return {"name": name, "label": label, "type": type_, "required": required, "help": help, **extra}


def _money(name, label, help, *, required=False) -> dict:
    return _col(name, label, "decimal", required=required, help=f"{help}（元，两位小数）", min=0)


SOURCES: list[dict] = [
    {
        "code": "death",
        "name": "死亡登记",
        "department": "公安",
        "freshness_days": 30,
        "description": "户籍人口死亡注销登记；用于发现已死亡的保障对象（死亡链条预警、停发）。",
        "columns": [
            _id(),
            _name(),
            _col("death_date", "死亡日期", "date", required=True, help="医学死亡证明或公安认定的死亡日期"),
            _col("cancelled_on", "户口注销日期", "date", help="因死亡注销户口的日期"),
            _col("region_code", "户籍地区划代码", "region_code", help="12位统计用区划代码（6位代码按县级补零）"),
        ],
    },
    {
        "code": "cremation",
        "name": "火化记录",
        "department": "民政殡葬",
        "internal": True,
        "freshness_days": 30,
        "description": "殡仪馆火化登记（民政内部共享，2022 兜底通知）；与死亡登记互相印证。",
        "columns": [
            _id("逝者身份证号"),
            _name("逝者姓名"),
            _col("death_date", "死亡日期", "date", required=True),
            _col("cremated_on", "火化日期", "date", required=True),
            _col("funeral_home", "殡仪馆", max_length=100, help="承办火化的殡仪馆名称"),
        ],
    },
    {
        "code": "vehicle",
        "name": "机动车登记",
        "department": "公安",
        "freshness_days": 30,
        "description": "交管部门的机动车登记（车船登记，审核确认办法第十七条）；以车辆所有人计。",
        "columns": [
            _id("所有人身份证号"),
            _name("所有人姓名"),
            _col("plate_no", "号牌号码", required=True, max_length=20, help="如 浙C12345"),
            _col(
                "vehicle_type",
                "车辆类型",
                "choice",
                required=True,
                choices=[
                    ["small_passenger", "小型载客汽车"],
                    ["large_passenger", "大中型载客汽车"],
                    ["truck", "载货汽车"],
                    ["motorcycle", "摩托车"],
                    ["tricycle", "三轮汽车/低速货车"],
                    ["agricultural", "拖拉机/农用车"],
                    ["other", "其他"],
                ],
            ),
            _col("registered_on", "注册登记日期", "date", required=True, help="初次登记或转入本人名下的日期"),
            _money("purchase_price", "购置价格", "车辆购置价格或评估价"),
            _col(
                "status",
                "机动车状态",
                "choice",
                required=True,
                choices=[
                    ["normal", "正常"],
                    ["transferred", "已转出"],
                    ["scrapped", "已报废"],
                    ["cancelled", "已注销"],
                ],
            ),
            _col("cancelled_on", "注销/转出日期", "date", help="不再登记在本人名下的日期"),
        ],
    },
    {
        "code": "real_estate",
        "name": "不动产登记",
        "department": "自然资源/不动产登记",
        "freshness_days": 30,
        "description": "不动产权利人登记（房屋等）；用于家庭财产中的房产核对。",
        "columns": [
            _id("权利人身份证号"),
            _name("权利人姓名"),
            _col("certificate_no", "不动产权证号", required=True, max_length=60),
            _col(
                "property_type",
                "房屋用途",
                "choice",
                required=True,
                choices=[["residential", "住宅"], ["non_residential", "非住宅（商业、办公、车位等）"]],
            ),
            _col("area", "建筑面积", "decimal", required=True, min=0, help="建筑面积（平方米，两位小数）"),
            _col("share", "共有份额", "decimal", min=0, max=100, help="按份共有的份额（百分比）；单独所有填 100"),
            _col("location", "坐落", max_length=200),
            _col("region_code", "坐落区划代码", "region_code"),
            _col("registered_on", "登记日期", "date", required=True),
            _col("cancelled_on", "注销/转移日期", "date", help="权利转移或注销登记的日期"),
        ],
    },
    {
        "code": "social_insurance",
        "name": "社会保险",
        "department": "人社",
        "freshness_days": 30,
        "description": "社会保险参保缴费与养老金领取，按人、险种、月份各一行（审核确认办法第十七条）。",
        "columns": [
            _id(),
            _name(),
            _col(
                "insurance_type",
                "险种",
                "choice",
                required=True,
                choices=[
                    ["employee_pension", "企业职工基本养老保险"],
                    ["resident_pension", "城乡居民基本养老保险"],
                    ["public_pension", "机关事业单位养老保险"],
                    ["unemployment", "失业保险"],
                    ["work_injury", "工伤保险"],
                ],
            ),
            _col("month", "所属月份", "date", required=True, format="month", help="如 2024-05（存为当月1日）"),
            _money("monthly_wage_base", "月缴费基数", "当月缴费工资基数"),
            _money("contribution", "个人缴费额", "当月个人缴纳部分"),
            _money("monthly_pension", "月养老金", "当月领取的基本养老金；未领取不填"),
            _col("employer", "参保单位", max_length=100, help="灵活就业或城乡居民不填"),
        ],
    },
    {
        "code": "unemployment",
        "name": "失业登记",
        "department": "人社",
        "freshness_days": 30,
        "description": "登记失业人员与失业保险金领取（2023 意见 §三(三) 人社·登记失业人员）。",
        "columns": [
            _id(),
            _name(),
            _col("registered_on", "失业登记日期", "date", required=True),
            _col("benefit_until", "失业保险金领取截止日期", "date", help="未领取失业保险金不填"),
            _money("monthly_benefit", "失业保险金月标准", "每月领取的失业保险金"),
            _col("cancelled_on", "注销登记日期", "date", help="就业或其他原因注销失业登记的日期"),
        ],
    },
    {
        "code": "business_registration",
        "name": "市场主体登记",
        "department": "市场监管",
        "freshness_days": 30,
        "description": "本人担任法定代表人、经营者或出资人的市场主体（2022 兜底通知）。",
        "columns": [
            _id(),
            _name(),
            _col(
                "role",
                "身份",
                "choice",
                required=True,
                choices=[["legal_rep", "法定代表人"], ["operator", "经营者"], ["shareholder", "出资人/股东"]],
            ),
            _col("entity_name", "主体名称", required=True, max_length=200),
            _col("uscc", "统一社会信用代码", required=True, format="uscc", help="18位，GB 32100 校验"),
            _col(
                "entity_type",
                "主体类型",
                "choice",
                required=True,
                choices=[
                    ["individual", "个体工商户"],
                    ["company", "公司"],
                    ["sole_proprietorship", "个人独资企业"],
                    ["partnership", "合伙企业"],
                    ["cooperative", "农民专业合作社"],
                    ["other", "其他"],
                ],
            ),
            _money("registered_capital", "注册资本（出资额）", "注册资本或认缴出资额"),
            _col(
                "status",
                "登记状态",
                "choice",
                required=True,
                choices=[["active", "存续（在营）"], ["cancelled", "注销"], ["revoked", "吊销"]],
            ),
            _col("registered_on", "成立日期", "date", required=True),
            _col("cancelled_on", "注销/吊销日期", "date"),
        ],
    },
    {
        "code": "housing_fund",
        "name": "住房公积金",
        "department": "公积金中心",
        "freshness_days": 30,
        "description": "住房公积金账户与缴存（审核确认办法第十七条）。",
        "columns": [
            _id(),
            _name(),
            _col(
                "status",
                "账户状态",
                "choice",
                required=True,
                choices=[["paying", "正常缴存"], ["sealed", "封存"], ["closed", "销户"]],
            ),
            _money("wage_base", "缴存基数", "月缴存工资基数"),
            _money("monthly_deposit", "月缴存额", "单位与个人合计的月缴存额"),
            _money("balance", "账户余额", "数据日期的账户余额"),
            _col("last_paid_month", "最近缴存月份", "date", format="month", help="如 2024-05"),
            _col("employer", "缴存单位", max_length=100),
        ],
    },
    {
        "code": "tax",
        "name": "个人所得税纳税记录",
        "department": "税务",
        "freshness_days": 365,
        "description": "按纳税年度、所得项目汇总的收入额与已缴税额（审核确认办法第十七条）。",
        "columns": [
            _id(),
            _name(),
            _col("tax_year", "纳税年度", "integer", required=True, min=2000, max=2100, help="如 2024"),
            _col(
                "income_type",
                "所得项目",
                "choice",
                required=True,
                choices=[
                    ["wages", "工资薪金"],
                    ["labour", "劳务报酬"],
                    ["business", "经营所得"],
                    ["property", "财产租赁与转让"],
                    ["interest", "利息股息红利"],
                    ["other", "其他所得"],
                ],
            ),
            _money("annual_income", "年度收入额", "该年度该项目的收入额", required=True),
            _money("tax_paid", "已缴税额", "该年度该项目的已缴（扣缴）税额"),
            _col("withholder", "扣缴义务人", max_length=100),
        ],
    },
    {
        "code": "bank",
        "name": "金融资产",
        "department": "银行/金融机构",
        "freshness_days": 90,
        "description": "银行存款、证券、商业保险的账户与余额（市值、现金价值）；账号加密存储。",
        "columns": [
            _id(),
            _name(),
            _col("institution", "金融机构", required=True, max_length=100),
            _col(
                "account_no",
                "账号/合同号",
                required=True,
                sensitive=True,
                max_length=40,
                help="加密存储，列表只显示脱敏值",
            ),
            _col(
                "product_type",
                "资产类别",
                "choice",
                required=True,
                choices=[["deposit", "存款"], ["securities", "证券（股票、基金、理财）"], ["insurance", "商业保险"]],
            ),
            _money("balance", "余额", "数据日期的存款余额、证券市值或保单现金价值", required=True),
        ],
    },
    {
        "code": "medical_expense",
        "name": "医疗费用结算",
        "department": "医保",
        "freshness_days": 30,
        "description": "医保结算记录；个人自付部分用于重病与刚性支出的发现（2023 意见 §三(三) 重病患者）。",
        "columns": [
            _id("参保人身份证号"),
            _name("参保人姓名"),
            _col("settled_on", "结算日期", "date", required=True),
            _col(
                "visit_type",
                "就诊类型",
                "choice",
                required=True,
                choices=[["outpatient", "普通门诊"], ["chronic", "门诊慢特病"], ["inpatient", "住院"]],
            ),
            _money("total_cost", "医疗总费用", "本次结算的医疗费用总额", required=True),
            _money("fund_paid", "医保基金支付", "基本医保、大病保险和医疗救助支付合计"),
            _money("out_of_pocket", "个人自付", "个人负担部分（总费用减基金支付）", required=True),
            _col("hospital", "医疗机构", max_length=100),
        ],
    },
    {
        "code": "disability_certificate",
        "name": "残疾人证",
        "department": "残联",
        "freshness_days": 90,
        "description": "第二代残疾人证持证信息（2023 意见 §三(三) 残联·重度残疾人：一、二级）。",
        "columns": [
            _id("持证人身份证号"),
            _name("持证人姓名"),
            _col(
                "kind",
                "残疾类别",
                "choice",
                required=True,
                choices=[
                    ["visual", "视力残疾"],
                    ["hearing", "听力残疾"],
                    ["speech", "言语残疾"],
                    ["limb", "肢体残疾"],
                    ["intellectual", "智力残疾"],
                    ["mental", "精神残疾"],
                    ["multiple", "多重残疾"],
                ],
            ),
            _col("grade", "残疾等级", "integer", required=True, min=1, max=4, help="1–4 级，一级最重"),
            _col("issued_on", "发证日期", "date", required=True),
            _col("valid_until", "有效期至", "date"),
        ],
    },
    {
        "code": "student_aid",
        "name": "家庭经济困难学生资助",
        "department": "教育",
        "freshness_days": 180,
        "description": "学生资助名单（2023 意见 §三(三) 教育·家庭经济困难学生）；毕业年份用于应届毕业生提醒。",
        "columns": [
            _id("学生身份证号"),
            _name("学生姓名"),
            _col("school", "学校", required=True, max_length=100),
            _col(
                "stage",
                "学段",
                "choice",
                required=True,
                choices=[
                    ["preschool", "学前教育"],
                    ["primary", "小学"],
                    ["junior", "初中"],
                    ["senior", "普通高中"],
                    ["vocational", "中职"],
                    ["higher", "高等教育"],
                ],
            ),
            _col(
                "aid_type",
                "资助类型",
                "choice",
                required=True,
                choices=[
                    ["grant", "国家助学金"],
                    ["tuition_waiver", "学费减免"],
                    ["loan", "生源地助学贷款"],
                    ["living_allowance", "生活补助"],
                    ["other", "其他资助"],
                ],
            ),
            _money("annual_amount", "年资助金额", "本学年资助金额"),
            _col(
                "school_year",
                "学年",
                "integer",
                required=True,
                min=2000,
                max=2100,
                help="学年起始年份，2024 表示 2024—2025 学年",
            ),
            _col("graduation_year", "预计毕业年份", "integer", min=2000, max=2100),
        ],
    },
]

CODES = [s["code"] for s in SOURCES]
EDITABLE = ("owner", "freshness_days", "enabled", "description")  # an administrator's changes stay


def sources_ensure(*, using: str = "default") -> None:
    """Create the catalog's sources and refresh their name, department and columns; owner,
    freshness, enabled and description an administrator changed are kept."""
    from minzheng.engines.verification.models import DataSource

    for sort, spec in enumerate(SOURCES):
        fixed = {
            "name": spec["name"],
            "department": spec["department"],
            "columns": spec["columns"],
            "id_column": "id_number",
            "internal": spec.get("internal", False),
            "sort": sort,
        }
        objects = DataSource.objects.using(using)
        row = objects.filter(code=spec["code"]).first()
        if row is None:
            objects.create(
                code=spec["code"], freshness_days=spec["freshness_days"], description=spec["description"], **fixed
            )
        elif any(getattr(row, k) != v for k, v in fixed.items()):
            objects.filter(pk=row.pk).update(**fixed)
