"""Signatures a case still waits for on paper (书面签字): when an applicant could not show online that
a member signed themself (the portal records such a 授权书 as 代为签署), the case carries
``data["paper_signatures"]`` — ``[{"person_id", "name", "code"}]``, the persons whose own signed
material ``code`` must be received — and the guard ``paper_signatures`` keeps it from being accepted
(受理) until the office has uploaded that material for each of them (``Material.person``).
"""

from __future__ import annotations

from .hooks import case_guard


def paper_signatures_due(case) -> list[dict]:
    """The entries of ``data["paper_signatures"]`` whose signed paper the office has not uploaded yet
    (uploaded by staff, for that person, of that material code)."""
    due = list((case.data or {}).get("paper_signatures") or [])
    if not due:
        return []
    have = set(case.materials.filter(uploaded_by__isnull=False, person__isnull=False).values_list("person_id", "code"))
    return [d for d in due if (d.get("person_id"), d.get("code") or "authorisation") not in have]


@case_guard("paper_signatures")
def _paper_signatures(ctx):
    due = paper_signatures_due(ctx.case)
    if due:
        names = "、".join(d.get("name") or "" for d in due)
        return (
            f"以下成员的授权书是他人在网上代为签署的，须收到本人（未成年人为监护人）签字的书面授权书后方可受理：{names}。"
            "请在「申请材料」中上传书面授权书，并选择所属成员"
        )
    return None
