"""The social-assistance service items (事项) as case-engine definitions: steps, acting role and
level, statutory time limits, materials, public notice and documents. Sources: 《最低生活保障审核
确认办法》(民发〔2021〕57号) 第十五条–第二十二条; 《特困人员认定办法》; 2018 临时救助意见; see
``shared/docs/domain/social-assistance.md`` §8. Published (as a new version only when changed) after
every migrate by :func:`case_types_ensure`.
"""

from __future__ import annotations

import copy

from minzheng.engines.cases.services import case_type_publish

SMS_ACCEPTED = "【{bureau}】您的{type}已受理，办件编号{number}，可凭编号查询办理进度。"
SMS_MISSING = "【{bureau}】您的{type}（{number}）材料不齐全，请按一次性告知书补齐后提交。"
SMS_DECIDED = (
    "【{bureau}】您的{type}（{number}）已办结，结果：{outcome}。书面决定可到乡镇（街道）领取，或在网上办事大厅查看。"
)
SMS_NOTICE = "【{bureau}】您的{type}（{number}）已通过乡镇（街道）初审，正在村（社区）公示，公示期 {notice}。"
# for the office that acts next; a transition that closes the case says what happened and asks nothing (CLOSED)
NEXT = "办件 {number}（{type}）已转到「{step}」，请在 {due} 前办理。"
NOTICE = "办件 {number}（{type}）已公示，公示期 {notice}；期满无异议后请在 {due} 前办理。"
CLOSED = "办件 {number}（{type}）已办结，结果：{outcome}。"

# Where each time limit comes from (``basis`` of the number; the engine refuses a limit without one).
# Article ranges are those of ``shared/docs/domain/social-assistance.md`` §8.
DIBAO_BASIS = "最低生活保障审核确认办法（民发〔2021〕57号）第十五条至第二十二条；2022年兜底保障通知第四部分"
TEKUN_BASIS = "特困人员认定办法（民发〔2021〕43号）第十四条"
# The portal application plugin of the assistance applications (the means questionnaire: household,
# income, property, estimate, 授权书), registered by ``minzheng.sites.portal.assistance``
MEANS_APPLICATION = "assistance.means"
STOP_BASIS = "特困人员认定办法第二十八条（终止：公示7日，县级15个工作日内决定）"
REVIEW_BASIS = "最低生活保障审核确认办法第三十一条至第三十三条"
RIGID_BASIS = "刚性支出困难家庭认定办法（2025年）"
TEMP_BASIS = "国务院关于进一步加强和改进临时救助工作的意见（2018年）；社会救助暂行办法第四十八条"


def step_of(steps: list[dict], code: str) -> dict:
    """The step ``code`` of a definition's steps (never by position: steps are added and reordered)."""
    for step in steps:
        if step["code"] == code:
            return step
    raise KeyError(f"没有环节 {code}")


def insert_steps(steps: list[dict], new: list[dict], *, after: str = "", before: str = "") -> None:
    """Insert ``new`` right after the step ``after`` or right before the step ``before``."""
    at = steps.index(step_of(steps, after)) + 1 if after else steps.index(step_of(steps, before))
    steps[at:at] = new


WITHDRAW = {"action": "withdraw", "name": "申请人撤回", "to": "withdrawn", "style": "danger"}
TERMINALS = [
    {"code": "approved", "name": "已批准", "outcome": "approved"},
    {"code": "refused", "name": "不予批准", "outcome": "refused"},
    {"code": "not_accepted", "name": "不予受理", "outcome": "not_accepted"},
    {"code": "withdrawn", "name": "已撤回", "outcome": "withdrawn"},
    {"code": "terminated", "name": "已终止", "outcome": "terminated"},
]
BASE_MATERIALS = [
    {"code": "application", "name": "书面申请书（或申请登记表）", "step": "apply"},
    {"code": "authorisation", "name": "家庭经济状况核对授权书（共同生活家庭成员签字）", "step": "apply"},
    {"code": "means_declaration", "name": "家庭收入和财产申报表", "step": "apply"},
    {"code": "identity", "name": "居民身份证、户口簿", "step": "apply", "required": False,
     "note": "已通过政务数据共享核验的，不再要求提供"},
    {"code": "disability_illness", "name": "残疾人证或重病诊断证明", "required": False},
    {"code": "other", "name": "其他证明材料", "required": False},
]  # fmt: skip


def _application(*, code, name, prefix, program, investigate_form="assistance.investigation", investigate_days=10,
                 review_days=3, confirm_days=10, legal=30, extended=45, delegated=20, confirm_guards=(),
                 extra=None, online=True, conditions="", basis=DIBAO_BASIS):  # fmt: skip
    """申请 → 受理 → 入户调查 (+ 核对) → 乡镇初审 → 公示 7 日 → 县级审核确认 (or the township where
    delegated) → 批准 (enrolment from next month) / 不予批准 (notice with reasons)."""
    d = {
        "code": code, "name": name, "number_prefix": prefix, "category": "社会救助", "program": program,
        "legal_days": legal, "extended_days": extended, "delegated_days": delegated, "online": online,
        "application": MEANS_APPLICATION if online else "",
        "conditions": conditions, "basis": basis if legal or extended or delegated else "",
        "params": {"program": program},
        "steps": [
            {"code": "apply", "name": "受理审查", "role": "acceptor", "level": "township", "promised_days": 1,
             "documents": ["missing_materials_notice"]},
            {"code": "supplement", "name": "待补正材料", "role": "acceptor", "level": "township",
             "documents": ["missing_materials_notice"]},
            {"code": "investigate", "name": "入户调查", "role": "investigator", "level": "township",
             "promised_days": investigate_days, "documents": ["investigation_form"]},
            {"code": "first_review", "name": "乡镇初审", "role": "reviewer", "level": "township",
             "promised_days": review_days},
            {"code": "notice", "name": "公示", "role": "reviewer", "level": "township", "notice_days": 7,
             "day_type": "calendar", "basis": basis},
            # the 审核确认表 is made once, with the decision (approve/refuse), not printed before it
            {"code": "confirm", "name": "审核确认", "role": "approver", "level": "county", "legal_days": confirm_days,
             "delegable": True, "basis": basis},
            *TERMINALS,
        ],
        "transitions": [
            {"action": "accept", "name": "受理", "from": ["apply", "supplement"], "to": "investigate",
             "opinion_required": False, "guards": ["materials_complete", "paper_signatures"], "clock": "start",
             "documents": ["acceptance_notice"], "style": "primary",
             "notify": [{"to": "applicant", "channel": "sms", "text": SMS_ACCEPTED},
                        {"to": "next", "text": NEXT}]},
            {"action": "request_materials", "name": "一次性告知补正", "from": ["apply"], "to": "supplement",
             "opinion_required": False, "documents": ["missing_materials_notice"],
             "notify": [{"to": "applicant", "channel": "sms", "text": SMS_MISSING}]},
            {"action": "not_accept", "name": "不予受理", "from": ["apply", "supplement"], "to": "not_accepted",
             "documents": ["not_accepted_notice"], "style": "danger",
             "notify": [{"to": "applicant", "channel": "sms", "text": SMS_DECIDED}]},
            {"action": "investigate_done", "name": "调查完毕", "from": ["investigate"], "to": "first_review",
             "form": investigate_form, "effects": ["assistance.save_means", "assistance.assess"],
             "documents": ["investigation_form"],
             "style": "primary", "notify": [{"to": "next", "text": NEXT}]},
            {"action": "terminate_uncooperative", "name": "不配合调查，终止审核", "from": ["investigate"],
             "to": "terminated", "documents": ["termination_notice"], "style": "danger",
             "notify": [{"to": "applicant", "channel": "sms", "text": SMS_DECIDED}]},
            {"action": "first_review_pass", "name": "初审通过，公示", "from": ["first_review"], "to": "notice",
             "guards": ["assistance.means_recorded"], "effects": ["assistance.assess"], "style": "primary",
             "notify": [{"to": "applicant", "channel": "sms", "text": SMS_NOTICE}, {"to": "next", "text": NOTICE}]},
            {"action": "first_review_fail", "name": "初审不通过，报审核确认", "from": ["first_review"],
             "to": "confirm", "guards": ["assistance.means_recorded"], "effects": ["assistance.assess"],
             "notify": [{"to": "next", "text": NEXT}]},
            {"action": "back_to_investigate", "name": "退回重新调查", "from": ["first_review"], "to": "investigate"},
            {"action": "notice_done", "name": "公示期满无异议，报审核确认", "from": ["notice"], "to": "confirm",
             "opinion_required": False, "guards": ["notice_over", "no_open_objection"], "style": "primary",
             "notify": [{"to": "next", "text": NEXT}]},
            {"action": "reinvestigate", "name": "异议成立，重新调查", "from": ["notice"], "to": "investigate",
             "guards": ["has_open_objection"], "effects": ["objections_resolve"]},
            {"action": "deliberate", "name": "民主评议后重新初审", "from": ["notice"], "to": "first_review",
             "guards": ["has_open_objection"], "effects": ["objections_resolve"]},
            {"action": "approve", "name": "审核确认，批准", "from": ["confirm"], "to": "approved",
             "guards": [*confirm_guards], "effects": ["assistance.assess", "assistance.enrol"],
             "separate_from": ["first_review_pass", "first_review_fail"],  # 初审 and 审核确认 by different people
             "documents": ["review_form", "approval_decision"], "style": "primary",
             "notify": [{"to": "applicant", "channel": "sms", "text": SMS_DECIDED}, {"to": "opener", "text": CLOSED}]},
            {"action": "refuse", "name": "不予批准", "from": ["confirm"], "to": "refused",
             "documents": ["review_form", "refusal_notice"], "style": "danger",
             "notify": [{"to": "applicant", "channel": "sms", "text": SMS_DECIDED}, {"to": "opener", "text": CLOSED}]},
            {"action": "send_back", "name": "退回乡镇重新初审", "from": ["confirm"], "to": "first_review",
             "notify": [{"to": "next", "text": NEXT}]},
            {**WITHDRAW, "from": ["apply", "supplement", "investigate", "first_review"]},
        ],
        "materials": copy.deepcopy(BASE_MATERIALS),
        "notice": {"title": "{type}公示", "show_amount": program == "dibao"},
    }  # fmt: skip
    if extra:
        extra(d)
    return d


def _tekun(d):
    confirm = step_of(d["steps"], "confirm")
    confirm["legal_days"], confirm["basis"] = 15, TEKUN_BASIS  # county 确认 ≤ 15 working days
    d["params"]["recheck_percent"] = 30
    for t in d["transitions"]:
        if t["action"] == "approve":
            t["guards"] = ["assistance.recheck_done"]
    d["transitions"].append({"action": "recheck", "name": "县级抽查复核", "from": ["confirm"], "to": "confirm",
                             "form": "assistance.recheck", "guards": ["assistance.recheck_date"]})  # fmt: skip


CASE_TYPES = [
    _application(
        code="dibao_application",
        name="最低生活保障申请",
        prefix="DB",
        program="dibao",
        conditions="共同生活的家庭成员人均收入低于当地最低生活保障标准，且财产状况符合规定",
    ),
    _application(
        code="tekun_application",
        name="特困人员认定申请",
        prefix="TK",
        program="tekun",
        investigate_form="assistance.selfcare",
        investigate_days=15,
        legal=None,
        extended=None,
        delegated=None,
        extra=_tekun,
        basis="特困人员认定办法（民发〔2021〕43号）",
        conditions="老年人、残疾人或未满16周岁的未成年人，无劳动能力、无生活来源、无法定赡养抚养扶养义务人或其义务人无履行能力",
    ),
    _application(
        code="edge_application",
        name="低保边缘家庭认定申请",
        prefix="BY",
        program="dibao_edge",
        conditions="不符合低保条件，家庭人均收入低于低保标准1.5倍，且财产状况符合规定",
    ),
    _application(
        code="rigid_expense_application",
        name="刚性支出困难家庭认定申请",
        prefix="GZ",
        program="rigid_expense",
        basis=RIGID_BASIS,
        conditions="刚性支出较大导致基本生活出现严重困难，人均收入低于上年度当地居民人均可支配收入",
    ),
]


SMS_CHANGED = (
    "【{bureau}】您家庭救助待遇的{type}（{number}）已办结，结果：{outcome}。保障变更决定书可到乡镇（街道）领取，"
    "或在网上办事大厅查看。"
)
SMS_STOPPED = (
    "【{bureau}】经{type}（{number}）办理，已决定终止救助（结果：{outcome}）。终止救助决定书可到乡镇（街道）领取，"
    "或在网上办事大厅查看。"
)
STOP_STEPS = [
    {"code": "stop_notice", "name": "终止公示", "role": "reviewer", "level": "township", "notice_days": 7,
     "day_type": "calendar", "basis": STOP_BASIS},
    {"code": "stop_confirm", "name": "县级决定终止", "role": "approver", "level": "county", "legal_days": 15,
     "delegable": True, "basis": STOP_BASIS},
]  # fmt: skip


def _stop_path(*, source: str, back: str) -> list[dict]:
    """拟终止 → 终止公示 7 日 → 县级决定 → 次月起停发 (特困人员认定办法 第二十八条), with the reason
    from the dictionary and, for a death, the date of death checked against the limit."""
    return [
        {"action": "propose_stop", "name": "拟终止救助，公示", "from": [source], "to": "stop_notice",
         "form": "assistance.stop", "guards": ["assistance.stop_dates"], "style": "danger"},
        {"action": "notice_done", "name": "公示期满无异议，报县级决定", "from": ["stop_notice"], "to": "stop_confirm",
         "opinion_required": False, "guards": ["notice_over", "no_open_objection"], "style": "primary",
         "notify": [{"to": "next", "text": NEXT}]},
        {"action": "reinvestigate", "name": "异议成立，重新核实", "from": ["stop_notice"], "to": "investigate",
         "guards": ["has_open_objection"], "effects": ["objections_resolve"]},
        {"action": "confirm_stop", "name": "决定终止救助", "from": ["stop_confirm"], "to": "terminated",
         "guards": ["assistance.stop_dates"], "effects": ["assistance.enrollment_stop", "assistance.member_registry_undo"],
         "documents": ["stop_decision"], "style": "danger",
         "notify": [{"to": "applicant", "channel": "sms", "text": SMS_STOPPED}]},
        {"action": "keep", "name": "不予终止，退回乡镇", "from": ["stop_confirm"], "to": back},
    ]  # fmt: skip


def _roll_review(*, code, name, prefix, conditions, roll):
    """复核 / 变更 of a running enrollment, opened from the enrollment (发起变更): 入户调查 (特困: the
    six-item self-care result, else the last one stands) → 乡镇审核 (assessment) → 县级确认 →
    维持、调整金额、渐退 or 增减员, with a written decision to the payee (审核确认办法 第三十一条–第三十三条);
    a household no longer eligible goes from 乡镇审核 the 停保 way (公示, county decision)."""
    return {
        "code": code, "name": name, "number_prefix": prefix, "category": "社会救助", "program": "",
        "legal_days": 30, "extended_days": 45, "basis": REVIEW_BASIS, "conditions": conditions,
        "online": code == "dibao_change",
        "clock_on_open": True, "params": {"roll": roll},
        "steps": [
            {"code": "investigate", "name": "入户调查", "role": "investigator", "level": "township",
             "promised_days": 10, "documents": ["investigation_form"]},
            {"code": "first_review", "name": "乡镇审核", "role": "reviewer", "level": "township", "promised_days": 5},
            {"code": "confirm", "name": "县级确认", "role": "approver", "level": "county", "legal_days": 10,
             "delegable": True, "basis": REVIEW_BASIS},
            *copy.deepcopy(STOP_STEPS),
            {"code": "completed", "name": "已办结", "outcome": "completed"},
            {"code": "terminated", "name": "已终止救助", "outcome": "terminated"},
            {"code": "withdrawn", "name": "已撤销", "outcome": "withdrawn"},
        ],
        "transitions": [
            {"action": "investigate_done", "name": "调查完毕", "from": ["investigate"], "to": "first_review",
             "form": "assistance.review_investigation",
             "effects": ["assistance.enrollment_link", "assistance.selfcare_carry", "assistance.save_means"],
             "documents": ["investigation_form"], "style": "primary",
             "notify": [{"to": "next", "text": NEXT}]},
            {"action": "first_review_done", "name": "审核完毕，报县级确认", "from": ["first_review"], "to": "confirm",
             "guards": ["assistance.means_recorded"], "effects": ["assistance.assess", "assistance.roll_outcome"],
             "style": "primary", "notify": [{"to": "next", "text": NEXT}]},
            {"action": "back_to_investigate", "name": "退回重新调查", "from": ["first_review"], "to": "investigate"},
            {"action": "confirm_keep", "name": "确认（维持、调整金额或渐退）", "from": ["confirm"], "to": "completed",
             "form": "assistance.review_confirm", "effects": ["assistance.review_apply"],
             "documents": ["review_form", "change_decision"], "style": "primary",
             "notify": [{"to": "applicant", "channel": "sms", "text": SMS_CHANGED}]},
            {"action": "send_back", "name": "退回乡镇重新审核", "from": ["confirm"], "to": "first_review"},
            *_stop_path(source="first_review", back="first_review"),
            # 撤销 and 停保 put back the registry change 发起变更 made for a 增减员 (roll._member_registry_undo)
            {"action": "cancel", "name": "撤销本办件", "from": ["investigate", "first_review", "confirm"],
             "to": "withdrawn", "effects": ["assistance.member_registry_undo"], "style": "danger"},
        ],
        "materials": [],
        "notice": {"title": "终止救助公示", "show_amount": False},
    }  # fmt: skip


STOP = {
    "code": "assistance_stop", "name": "停保（终止救助）", "number_prefix": "TB", "category": "社会救助",
    "legal_days": 30, "extended_days": 45, "basis": STOP_BASIS, "clock_on_open": True,
    "conditions": "保障对象死亡、迁出、收入或财产超过规定、无正当理由拒不配合等，经调查核实后终止救助",
    "steps": [
        {"code": "investigate", "name": "调查核实", "role": "investigator", "level": "township", "promised_days": 10},
        {"code": "first_review", "name": "乡镇审核", "role": "reviewer", "level": "township", "promised_days": 5},
        *copy.deepcopy(STOP_STEPS),
        {"code": "completed", "name": "维持保障", "outcome": "completed"},
        {"code": "terminated", "name": "已终止救助", "outcome": "terminated"},
    ],
    "transitions": [
        {"action": "investigate_done", "name": "核实完毕", "from": ["investigate"], "to": "first_review",
         "effects": ["assistance.enrollment_link"], "style": "primary"},
        *_stop_path(source="first_review", back="first_review"),
        {"action": "keep_running", "name": "不予终止，维持保障", "from": ["first_review"], "to": "completed"},
    ],
    "notice": {"title": "终止救助公示", "show_amount": False},
}  # fmt: skip


def _temporary(*, code, name, prefix, mode, conditions):
    """临时救助 (2018 临时救助意见; ``social-assistance.md`` §8.3): 申请 → 受理 → 调查 → 乡镇审核 (the
    amount proposed beside the estimate) → 审批 (county, or the township where delegated,
    国务院令第649号 第四十八条; a delegated township approves only within its limit, above it the
    proposal is reported to the county, 县级审批); the county may send an over-limit proposal back
    with its reason.
    急难型 may pay first (先行救助) within the township's limit and complete the file afterwards;
    the 先行救助 is then reviewed and confirmed by the level that would have decided it. Every
    grant is paid (see :mod:`.temporary`); the decision is never taken by whoever accepted,
    investigated or proposed it, nor a 先行救助 confirmed by whoever paid it."""
    steps = [
        {"code": "apply", "name": "受理审查", "role": "acceptor", "level": "township", "promised_days": 1},
        {
            "code": "investigate",
            "name": "调查核实",
            "role": "investigator",
            "level": "township",
            "promised_days": 5 if mode == "emergency" else 10,
            "documents": ["investigation_form"],
        },
        {"code": "review", "name": "乡镇审核", "role": "reviewer", "level": "township", "promised_days": 3},
        {
            "code": "confirm",
            "name": "审批",
            "role": "approver",
            "level": "county",
            "legal_days": 10,
            "delegable": True,
            "basis": TEMP_BASIS,
        },
        # a delegated township reports a proposal above its limit here: the county decides it
        {
            "code": "county_confirm",
            "name": "县级审批",
            "role": "approver",
            "level": "county",
            "legal_days": 10,
            "basis": TEMP_BASIS,
        },
        {"code": "approved", "name": "已批准", "outcome": "approved"},
        {"code": "refused", "name": "不予批准", "outcome": "refused"},
        {"code": "not_accepted", "name": "不予受理", "outcome": "not_accepted"},
        {"code": "withdrawn", "name": "已撤回", "outcome": "withdrawn"},
    ]
    transitions = [
        {"action": "accept", "name": "受理", "from": ["apply"], "to": "investigate", "opinion_required": False,
         "guards": ["materials_complete", "paper_signatures"], "clock": "start", "documents": ["acceptance_notice"],
         "style": "primary",
         "notify": [{"to": "applicant", "channel": "sms", "text": SMS_ACCEPTED}, {"to": "next", "text": NEXT}]},
        {"action": "not_accept", "name": "不予受理", "from": ["apply"], "to": "not_accepted",
         "documents": ["not_accepted_notice"], "style": "danger"},
        {"action": "investigate_done", "name": "调查完毕", "from": ["investigate"], "to": "review",
         "form": "assistance.investigation", "effects": ["assistance.save_means"], "style": "primary"},
        {"action": "review_done", "name": "审核通过，报审批", "from": ["review"], "to": "confirm",
         "form": "assistance.temp_amount", "guards": ["assistance.temp_proposal_ok"],
         "effects": ["assistance.temp_amount"], "style": "primary", "notify": [{"to": "next", "text": NEXT}]},
        {"action": "report_county", "name": "报县级审批", "from": ["confirm"], "to": "county_confirm",
         "guards": ["assistance.township_over_limit"], "style": "primary", "notify": [{"to": "next", "text": NEXT}]},
        {"action": "approve", "name": "批准", "from": ["confirm", "county_confirm"], "to": "approved",
         "form": "assistance.temp_payment",
         "guards": ["assistance.within_cap"], "effects": ["assistance.temp_grant"], "documents": ["temp_decision"],
         "separate_from": ["accept", "investigate_done", "review_done"], "style": "primary",
         "notify": [{"to": "applicant", "channel": "sms", "text": SMS_DECIDED}]},
        {"action": "send_back", "name": "退回乡镇重新审核", "from": ["confirm", "county_confirm"], "to": "review",
         "notify": [{"to": "next", "text": NEXT}]},
        {"action": "refuse", "name": "不予批准", "from": ["confirm", "review", "county_confirm"], "to": "refused",
         "documents": ["refusal_notice"], "style": "danger",
         "notify": [{"to": "applicant", "channel": "sms", "text": SMS_DECIDED}]},
        {**WITHDRAW, "from": ["apply", "investigate", "review"]},
    ]  # fmt: skip
    if mode == "emergency":
        insert_steps(steps, after="apply", new=[
            {"code": "complete_file", "name": "先行救助后补齐手续", "role": "acceptor", "level": "township",
             "promised_days": 5},
            {"code": "first_aid_review", "name": "先行救助审核", "role": "reviewer", "level": "township",
             "promised_days": 5},
        ])  # fmt: skip
        insert_steps(steps, before="approved", new=[{"code": "first_aid_county", "name": "先行救助审批确认",
                     "role": "approver", "level": "county", "legal_days": 10, "basis": TEMP_BASIS}])  # fmt: skip
        transitions += [
            {"action": "assist_first", "name": "先行救助", "from": ["apply"], "to": "complete_file",
             "form": "assistance.emergency", "guards": ["assistance.within_township_limit"],
             "effects": ["assistance.temp_grant"], "clock": "start", "documents": ["temp_decision"], "style": "primary"},
            {"action": "file_completed", "name": "手续补齐，报审核", "from": ["complete_file"], "to": "first_aid_review",
             "guards": ["materials_complete", "paper_signatures"], "opinion_required": False, "style": "primary",
             "notify": [{"to": "next", "text": NEXT}]},
            {"action": "first_aid_confirm", "name": "审核确认先行救助，办结", "from": ["first_aid_review"],
             "to": "approved", "guards": ["assistance.first_aid_township_decides"],
             "effects": ["assistance.first_aid_confirmed"], "separate_from": ["assist_first", "file_completed"],
             "style": "primary"},
            {"action": "first_aid_report", "name": "审核通过，报县级审批确认", "from": ["first_aid_review"],
             "to": "first_aid_county", "separate_from": ["assist_first"], "notify": [{"to": "next", "text": NEXT}]},
            {"action": "first_aid_ratify", "name": "审批确认先行救助", "from": ["first_aid_county"], "to": "approved",
             "effects": ["assistance.first_aid_confirmed"], "separate_from": ["assist_first", "file_completed"],
             "style": "primary", "notify": [{"to": "applicant", "channel": "sms", "text": SMS_DECIDED}]},
            {"action": "first_aid_send_back", "name": "退回乡镇重新审核", "from": ["first_aid_county"],
             "to": "first_aid_review", "notify": [{"to": "next", "text": NEXT}]},
            {"action": "first_aid_refuse", "name": "不予确认（追回先行救助金）", "from": ["first_aid_review", "first_aid_county"],
             "to": "refused", "effects": ["assistance.first_aid_refused"], "documents": ["first_aid_refusal"],
             "style": "danger", "notify": [{"to": "applicant", "channel": "sms", "text": SMS_DECIDED}]},
        ]  # fmt: skip
    return {
        "code": code, "name": name, "number_prefix": prefix, "category": "社会救助", "program": "temp_assistance",
        "legal_days": 30 if mode == "expenditure" else None, "extended_days": 45 if mode == "expenditure" else None,
        "basis": TEMP_BASIS if mode == "expenditure" else "",
        "online": True, "application": MEANS_APPLICATION, "conditions": conditions, "steps": steps,
        "transitions": transitions,
        "materials": [m for m in copy.deepcopy(BASE_MATERIALS) if m["code"] != "means_declaration"],
        "params": {"temp_mode": mode},
    }  # fmt: skip


CASE_TYPES += [
    _temporary(code="temp_emergency", name="临时救助申请（急难型）", prefix="LJ", mode="emergency",
               conditions="因火灾、交通事故、突发重大疾病等意外事件，导致基本生活暂时出现严重困难"),
    _temporary(code="temp_expenditure", name="临时救助申请（支出型）", prefix="LZ", mode="expenditure",
               conditions="因教育、医疗等生活必需支出突然增加超出家庭承受能力，导致基本生活暂时出现严重困难"),
    _roll_review(code="assistance_review", name="救助对象定期复核", prefix="FH", roll="review",
                 conditions="在保家庭按分类复核周期接受复核；无重大变化的维持原保障金额"),
    _roll_review(code="dibao_change", name="救助对象增减员及变更", prefix="BG", roll="change",
                 conditions="在保家庭人口、收入、财产状况发生变化，主动申报或经核查发现"),
    STOP,
]  # fmt: skip


def case_types_ensure() -> list:
    """Publish each definition whose content changed since its last version (a no-op otherwise)."""
    from minzheng.engines.cases.models import CaseType

    versions = [case_type_publish(definition=d, audited=False) for d in CASE_TYPES]
    for sort, d in enumerate(CASE_TYPES):  # the catalogue in the order above (applications first)
        CaseType.objects.filter(code=d["code"]).exclude(sort=sort).update(sort=sort)
    return versions
