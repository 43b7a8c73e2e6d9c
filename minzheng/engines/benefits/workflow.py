"""The allowed changes of an enrollment and of a payment cycle, read top to bottom.

An enrollment change names the states it may start from and the state it leads to (``None`` =
unchanged). Anything not in these tables is refused with the Chinese explanation below.
"""

from __future__ import annotations

from .models import CycleState, EnrollmentState, EventKind

A, S, P, X = EnrollmentState.ACTIVE, EnrollmentState.SUSPENDED, EnrollmentState.PHASE_OUT, EnrollmentState.EXITED

ENROLLMENT_CHANGES: dict[str, tuple[frozenset, str | None]] = {
    EventKind.AMOUNT: (frozenset({A, S, P}), None),
    EventKind.MEMBER: (frozenset({A, S, P}), None),
    EventKind.REVIEW: (frozenset({A, S, P}), None),
    EventKind.SUSPEND: (frozenset({A, P}), S),
    EventKind.RESUME: (frozenset({S}), A),
    EventKind.PHASE_OUT: (frozenset({A}), P),
    EventKind.EXIT: (frozenset({A, S, P}), X),
    EventKind.TRANSFER_OUT: (frozenset({A, S, P}), X),
}

# reason codes of stops, reductions and exits (every one generates a written notice)
REASONS = {
    "death": "死亡",
    "moved_away": "迁出本地",
    "income_over_line": "收入超过标准",
    "property_over_limit": "财产超过规定",
    "refused_cooperation": "无正当理由拒不配合",
    "voluntary": "本人申请退出",
    "fraud": "骗取保障待遇",
    "not_reported": "重大变化超过3个月未报告",
    "head_died": "户主死亡（停旧建新）",
    "member_change": "家庭成员变化",
    "birth": "新生儿出生",
    "review": "定期复核",
    "phase_out_ended": "渐退期届满",
    "standard_change": "保障标准调整",
    "category_change": "转为其他保障类别",
    "mode_change": "供养方式变更",
    "other": "其他",
}

CYCLE_TRANSITIONS: dict[str, frozenset] = {
    CycleState.CALCULATED: frozenset({CycleState.DRAFT, CycleState.CALCULATED}),
    CycleState.APPROVED: frozenset({CycleState.CALCULATED}),
    # exported again: a reissue (补发) of failed lines goes back to the bank after reconciliation
    CycleState.EXPORTED: frozenset({CycleState.APPROVED, CycleState.EXPORTED, CycleState.RECONCILED}),
    CycleState.RECONCILED: frozenset({CycleState.EXPORTED}),
}


def change_refusal(kind: str, state: str) -> str | None:
    """The Chinese reason why ``kind`` is not allowed from ``state``, or None if it is."""
    if kind not in ENROLLMENT_CHANGES:
        return f"不认识的变动类型：{kind}"
    allowed, _ = ENROLLMENT_CHANGES[kind]
    if state in allowed:
        return None
    return (
        f"当前状态为“{EnrollmentState(state).label}”，不能办理“{EventKind(kind).label}”"
        f"（只能在{'、'.join(EnrollmentState(s).label for s in sorted(allowed))}状态下办理）"
    )


def cycle_refusal(target: str, state: str) -> str | None:
    if state in CYCLE_TRANSITIONS.get(target, frozenset()):
        return None
    if state in (CycleState.APPROVED, CycleState.EXPORTED, CycleState.RECONCILED) and target == CycleState.CALCULATED:
        return f"该月发放已审批（批次{CycleState(state).label}），数据已冻结，不能重新计算"
    return f"发放批次当前为“{CycleState(state).label}”，不能转为“{CycleState(target).label}”"
