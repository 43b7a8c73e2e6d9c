"""The definition of a case type (事项) version: its steps, who acts at each, the transitions
between them, time limits, materials, public notice, documents and notifications.

A definition is data (JSON on :class:`~.models.CaseTypeVersion`), written by the business line
that owns the service item and validated here before it can be published. The transition table
of a version is read top to bottom in one place — the definition — never spread over views.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Level = Literal["village", "township", "county", "city"]
DayType = Literal["working", "calendar"]
LEVEL_NAMES = {"village": "村（社区）", "township": "乡镇（街道）", "county": "县（市、区）", "city": "市"}
# Length of the region code that identifies the office of each level (统计用区划代码 2+2+2+3+3).
LEVEL_DIGITS = {"city": 4, "county": 6, "township": 9, "village": 12}

OUTCOMES = {
    "approved": "批准",
    "refused": "不予批准",
    "not_accepted": "不予受理",
    "withdrawn": "撤回",
    "terminated": "终止",
    "completed": "办结",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MaterialDef(_Strict):
    code: str
    name: str
    required: bool = True
    step: str = ""  # must be present before leaving this step ('' = the first step)
    note: str = ""  # e.g. "可通过政务数据共享获取的，不再要求申请人提供"


class NotifyDef(_Strict):
    """A message sent after a transition commits. ``to``: ``applicant`` (SMS to the applicant's
    phone), ``next`` (in-app to the users who can act on the new step), ``opener`` (in-app to the
    user who opened the case)."""

    to: Literal["applicant", "next", "opener"]
    channel: Literal["sms", "in_app", "email"] = "in_app"
    text: str  # str.format with {number} {type} {step} {outcome} {due} {notice} {bureau} (services.message_values)


class StepDef(_Strict):
    code: str
    name: str
    role: str = ""  # Role.code that acts; '' only for terminal steps
    level: Level = "township"
    legal_days: int | None = Field(None, ge=1)  # 法定时限 of this step
    promised_days: int | None = Field(None, ge=1)  # 承诺时限 (≤ legal)
    day_type: DayType = "working"
    notice_days: int | None = Field(None, ge=1)  # a public-notice (公示) step: calendar days
    delegable: bool = False  # the deciding step; acts at township level where delegated
    documents: list[str] = []  # document kinds printable while the case is at this step
    outcome: str = ""  # terminal step: the case's outcome (see OUTCOMES)
    basis: str = ""  # the article that sets legal_days / notice_days (required when either is set)

    @property
    def terminal(self) -> bool:
        return bool(self.outcome)


class TransitionDef(_Strict):
    action: str
    name: str
    source: list[str] = Field(alias="from")
    to: str
    opinion_required: bool = True
    form: str = ""  # a registered data form the action's ``data`` must satisfy
    guards: list[str] = []  # registered guard names, checked in order
    effects: list[str] = []  # registered effect names, run in the transaction
    documents: list[str] = []  # generated and kept with the case
    notify: list[NotifyDef] = []
    clock: Literal["", "start", "stop"] = ""  # start: 受理 starts the overall time limit
    # separation of duties: the actor must not be the one who took any of these earlier actions
    # of the same case (e.g. the approver is not the one who accepted or proposed the amount)
    separate_from: list[str] = []
    style: Literal["primary", "default", "danger"] = "default"


class NoticeDef(_Strict):
    """What a public notice shows (审核确认办法 第二十四条: name, number covered, amount — nothing
    else; names partly masked, no ID numbers)."""

    title: str = "{type}公示"
    show_amount: bool = True


class Definition(_Strict):
    code: str
    name: str
    number_prefix: str = Field(pattern=r"^[A-Z]{2,4}$")
    category: str = ""
    program: str = ""  # the benefits program an approval enrols into, if any
    legal_days: int | None = None  # whole case, from 受理
    extended_days: int | None = None  # when extended (延期)
    delegated_days: int | None = None  # when the decision is delegated to the township
    day_type: DayType = "working"
    basis: str = ""  # the article that sets legal/extended/delegated days (required when any is set)
    online: bool = False  # citizens may apply on the portal
    # the portal's application plugin citizens apply with (its registered code, e.g. "assistance.means"):
    # the online items are the published, ``online`` case types that name one; '' = no online application
    application: str = ""
    clock_on_open: bool = False  # the time limit runs from opening (items an office starts itself)
    conditions: str = ""  # 受理条件, for the service guide
    steps: list[StepDef]
    transitions: list[TransitionDef]
    materials: list[MaterialDef] = []
    notice: NoticeDef = NoticeDef()
    params: dict = {}  # business-line settings read by its guards and effects

    @model_validator(mode="after")
    def _consistent(self):
        codes = [s.code for s in self.steps]
        if len(set(codes)) != len(codes):
            raise ValueError("环节代码重复")
        known = set(codes)
        for s in self.steps:
            if not s.terminal and not s.role:
                raise ValueError(f"环节「{s.name}」未指定办理角色")
            if s.outcome and s.outcome not in OUTCOMES:
                raise ValueError(f"环节「{s.name}」的结果 {s.outcome} 不在 {sorted(OUTCOMES)} 中")
        if self.steps[0].terminal:
            raise ValueError("第一个环节不能是办结环节")
        # a statutory time limit is data with its source: the number is never without its article
        if (self.legal_days or self.extended_days or self.delegated_days) and not self.basis.strip():
            raise ValueError("办结时限须注明依据（basis：哪个文件第几条）")
        for s in self.steps:
            if (s.legal_days or s.notice_days) and not s.basis.strip():
                raise ValueError(f"环节「{s.name}」的法定时限或公示期须注明依据（basis）")
        seen = set()
        for t in self.transitions:
            for src in t.source:
                if src not in known:
                    raise ValueError(f"动作「{t.name}」的起点环节 {src} 不存在")
                if (src, t.action) in seen:
                    raise ValueError(f"环节 {src} 的动作 {t.action} 重复")
                seen.add((src, t.action))
                if self.step(src).terminal:
                    raise ValueError(f"办结环节 {src} 不能再有动作")
            if t.to not in known:
                raise ValueError(f"动作「{t.name}」的目标环节 {t.to} 不存在")
        actions = {t.action for t in self.transitions}
        for t in self.transitions:
            unknown = [a for a in t.separate_from if a not in actions]
            if unknown:
                raise ValueError(f"动作「{t.name}」须分人办理的动作 {', '.join(unknown)} 不存在")
        reachable, frontier = {codes[0]}, [codes[0]]
        while frontier:
            here = frontier.pop()
            for t in self.transitions:
                if here in t.source and t.to not in reachable:
                    reachable.add(t.to)
                    frontier.append(t.to)
        unreachable = known - reachable
        if unreachable:
            raise ValueError(f"环节无法到达：{', '.join(sorted(unreachable))}")
        for s in self.steps:
            if not s.terminal and not any(s.code in t.source for t in self.transitions):
                raise ValueError(f"环节「{s.name}」没有任何动作，办件会停在这里")
        for m in self.materials:
            if m.step and m.step not in known:
                raise ValueError(f"材料「{m.name}」的环节 {m.step} 不存在")
        return self

    def step(self, code: str) -> StepDef:
        for s in self.steps:
            if s.code == code:
                return s
        raise KeyError(code)

    def actions_from(self, step: str) -> list[TransitionDef]:
        return [t for t in self.transitions if step in t.source]

    def transition(self, step: str, action: str) -> TransitionDef | None:
        for t in self.transitions:
            if step in t.source and t.action == action:
                return t
        return None

    def materials_due(self, step: str) -> list[MaterialDef]:
        """Required materials that must be in before the case leaves ``step``: those of this step
        and every step before it in the definition's order."""
        order = [s.code for s in self.steps]
        upto = order.index(step)
        return [m for m in self.materials if m.required and order.index(m.step or order[0]) <= upto]
