"""Writes to the registry. Every write checks the user's grant for the region and is audited."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from minzheng.foundation.accounts.reveals import reveal_audit
from minzheng.foundation.accounts.scoping import permission_require
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.codes import mask_id_number
from minzheng.foundation.numbering.services import sequence_take
from minzheng.foundation.regions.models import Region
from minzheng.foundation.text import clean_text
from minzheng.foundation.validation import is_digits

from . import normalise as nz
from .models import DisabilityKind, Household, HukouType, Membership, Person, PersonNameGram, Relation, SelfCare

PERSON_FIELDS = [
    "name", "id_number", "ethnicity", "phone", "hukou_type", "hukou_region_code", "region_code",
    "disability_kind", "disability_grade", "serious_illness", "labour_capacity", "self_care", "death_date",
]  # fmt: skip
HOUSEHOLD_FIELDS = ["region_code", "address", "hukou_type", "bank_name", "bank_account"]


def _audit_value(field: str, value):
    if value in (None, ""):
        return value
    if field == "id_number":
        return mask_id_number(value)
    if field == "phone":
        return nz.mask_phone(value)
    if field == "bank_account":
        return nz.mask_bank_account(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _snapshot(obj, fields) -> dict:
    return {f: _audit_value(f, getattr(obj, f)) for f in fields}


def _region_exists(code: str) -> bool:
    return Region.objects.filter(code=code).exists()


def person_clean(data: dict, *, instance: Person | None = None) -> dict:
    """Validate person input; return cleaned values or raise ValidationError with Chinese messages."""
    errors: dict[str, str] = {}
    out: dict = {}
    name = (data.get("name") if "name" in data else getattr(instance, "name", "")) or ""
    name = clean_text(name).strip()
    if ("name" in data or instance is None) and (msg := nz.check_name(name)):
        errors["name"] = msg
    out["name"] = name
    if "id_number" in data or instance is None:
        try:
            derived = nz.derive_from_id(data.get("id_number") or "")
        except nz.IdNumberError as exc:
            errors["id_number"] = str(exc)
        else:
            clash = Person.objects.filter(id_number_index=derived["id_number_index"])
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                errors["id_number"] = "该身份证号已登记"
            out.update(derived)
    for field in ("region_code", "hukou_region_code"):
        if field in data or instance is None:
            code = (data.get(field) or "").strip()
            if field == "hukou_region_code" and not code:
                code = (data.get("region_code") or getattr(instance, "region_code", "") or "").strip()
            if not _region_exists(code):
                errors[field] = f"区划代码 {code or '（空）'} 不存在"
            out[field] = code
    if "hukou_type" in data or instance is None:
        if data.get("hukou_type") not in HukouType.values:
            errors["hukou_type"] = "户籍类型应为城镇或农村"
        out["hukou_type"] = data.get("hukou_type")
    if "phone" in data:
        phone = clean_text(data.get("phone") or "").strip()
        if msg := nz.check_phone(phone):
            errors["phone"] = msg
        out["phone"] = phone
        out["phone_masked"] = nz.mask_phone(phone) if phone else ""
    if "ethnicity" in data:
        out["ethnicity"] = clean_text(data.get("ethnicity") or "汉族").strip()[:20]
    if "disability_kind" in data or "disability_grade" in data:
        kind = data.get("disability_kind", getattr(instance, "disability_kind", "")) or ""
        grade = data.get("disability_grade", getattr(instance, "disability_grade", None))
        grade = int(grade) if grade not in (None, "") else None
        if kind and kind not in DisabilityKind.values:
            errors["disability_kind"] = "残疾类别无效"
        if grade is not None and grade not in (1, 2, 3, 4):
            errors["disability_grade"] = "残疾等级应为1–4级"
        if bool(kind) != (grade is not None):
            errors["disability_grade"] = "残疾类别与残疾等级须同时填写或同时为空"
        out["disability_kind"], out["disability_grade"] = kind, grade
    if "self_care" in data:
        if data["self_care"] not in SelfCare.values:
            errors["self_care"] = "生活自理能力应为全自理、部分丧失或完全丧失"
        out["self_care"] = data["self_care"]
    for field in ("serious_illness",):
        if field in data:
            out[field] = bool(data[field])
    if "labour_capacity" in data:
        out["labour_capacity"] = data["labour_capacity"]
    if "death_date" in data:
        out["death_date"] = data["death_date"] or None
    if errors:
        raise ValidationError(errors)
    out["name_initials"] = nz.name_initials(out["name"]) if out.get("name") else ""
    return out


def name_grams_write(person: Person) -> None:
    """Rewrite the search grams of one person (after a change of name or region)."""
    PersonNameGram.objects.filter(person=person).delete()
    PersonNameGram.objects.bulk_create(
        PersonNameGram(person=person, gram=g, region_code=person.region_code) for g in nz.name_grams(person.name)
    )


@transaction.atomic
def person_create(*, user, data: dict) -> Person:
    values = person_clean(data)
    permission_require(user, "registry.change", values["region_code"])
    person = Person.objects.create(**values)
    name_grams_write(person)
    audit_record(
        action="create",
        object_type="registry.person",
        object_id=person.pk,
        region_code=person.region_code,
        summary=f"登记人员 {person.name}",
        changes={f: [None, v] for f, v in _snapshot(person, PERSON_FIELDS).items() if v not in (None, "")},
    )
    return person


def _update_audited(*, user, instance, clean, fields: list[str], summary) -> Person | Household:
    """Lock, check the grant for the old and the new region, apply, and audit before → after."""
    instance = type(instance).objects.select_for_update().get(pk=instance.pk)
    permission_require(user, "registry.change", instance.region_code)
    before = _snapshot(instance, fields)
    values = clean(instance)
    if "region_code" in values:
        permission_require(user, "registry.change", values["region_code"])
    for k, v in values.items():
        setattr(instance, k, v)
    instance.save()
    after = _snapshot(instance, fields)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if isinstance(instance, Person) and ("name" in changes or "region_code" in changes):
        name_grams_write(instance)
    if changes:
        audit_record(
            action="update",
            object_type=instance._meta.label_lower,
            object_id=instance.pk,
            region_code=instance.region_code,
            summary=summary(instance),
            changes=changes,
        )
    return instance


@transaction.atomic
def person_update(*, user, person: Person, data: dict) -> Person:
    return _update_audited(
        user=user,
        instance=person,
        clean=lambda p: person_clean(data, instance=p),
        fields=PERSON_FIELDS,
        summary=lambda p: f"修改人员 {p.name}",
    )


REVEALABLE = {
    ("person", "id_number"): "身份证号",
    ("person", "phone"): "联系电话",
    ("household", "bank_account"): "银行账号",
}


def sensitive_reveal(*, user, obj: Person | Household, field: str) -> str:
    """Return the plain value of a sensitive field; the read is audited."""
    kind = "person" if isinstance(obj, Person) else "household"
    if (kind, field) not in REVEALABLE:
        raise PermissionDenied("该字段不可查看明文")
    permission_require(user, "registry.reveal", obj.region_code)
    value = getattr(obj, field)
    reveal_audit(  # refused (RevealLimited) past N reveals in M minutes
        user=user,
        object_type=f"registry.{kind}",
        object_id=obj.pk,
        region_code=obj.region_code,
        summary=f"查看{REVEALABLE[(kind, field)]}明文",
        changes={"field": field},
    )
    return value


def household_clean(data: dict, *, instance: Household | None = None) -> dict:
    errors, out = {}, {}
    if "region_code" in data or instance is None:
        code = (data.get("region_code") or "").strip()
        if not _region_exists(code):
            errors["region_code"] = f"区划代码 {code or '（空）'} 不存在"
        out["region_code"] = code
    if "hukou_type" in data or instance is None:
        if data.get("hukou_type") not in HukouType.values:
            errors["hukou_type"] = "户籍类型应为城镇或农村"
        out["hukou_type"] = data.get("hukou_type")
    if "address" in data:
        out["address"] = clean_text(data.get("address") or "").strip()[:200]
    if "bank_name" in data:
        out["bank_name"] = clean_text(data.get("bank_name") or "").strip()[:60]
    if "bank_account" in data:
        account = (data.get("bank_account") or "").replace(" ", "")
        if account and not (is_digits(account) and 12 <= len(account) <= 30):
            errors["bank_account"] = "银行账号应为12–30位数字"
        out["bank_account"] = account
        out["bank_account_masked"] = nz.mask_bank_account(account) if account else ""
    if errors:
        raise ValidationError(errors)
    return out


def household_number_new(region_code: str, count: int = 1) -> list[str]:
    """``<township code 9 digits>-<7-digit sequence>``, sequential per township."""
    township = region_code[:9]
    first = sequence_take(key=f"household:{township}", count=count)
    return [f"{township}{n:07d}" for n in range(first, first + count)]


@transaction.atomic
def household_create(*, user, data: dict, head: Person, members: list[tuple[Person, str]] = ()) -> Household:
    values = household_clean(data)
    permission_require(user, "registry.change", values["region_code"])
    for person, _ in [(head, "head"), *members]:
        permission_require(user, "registry.change", person.region_code)
    household = Household.objects.create(number=household_number_new(values["region_code"])[0], head=head, **values)
    today = timezone.localdate()
    rows = [Membership(household=household, person=head, relation=Relation.HEAD, valid_from=today)]
    rows += [Membership(household=household, person=p, relation=r, valid_from=today) for p, r in members]
    _check_free([m.person for m in rows])
    Membership.objects.bulk_create(rows)
    audit_record(
        action="create",
        object_type="registry.household",
        object_id=household.pk,
        region_code=household.region_code,
        summary=f"建立家庭 {household.number}，户主 {head.name}，{len(rows)} 人",
        changes={**{f: [None, v] for f, v in _snapshot(household, HOUSEHOLD_FIELDS).items() if v not in (None, "")},
                 "members": [None, [[m.person_id, m.relation] for m in rows]]},
    )  # fmt: skip
    return household


@transaction.atomic
def household_register(*, user, data: dict, members: list[dict]) -> Household:
    """建立家庭 with its members in one step, registering those not yet registered: the one service
    behind the workbench (建立家庭), the API (``POST /households``) and the portal's application.

    ``members`` in order, the head first; each has a ``relation`` (the head's is ignored) and says
    who the person is by one of: ``person`` (a :class:`Person` already found), ``person_id`` (a
    registered person within the user's regions, else 404), ``id_number`` (looked up by its blind
    index within the user's regions; when not registered, created from ``fields`` if given, else
    refused) or ``fields`` alone (always a new person: a registered ID number is refused). A new person takes
    the household's hukou type and region unless ``fields`` say otherwise. ``user=None`` is the
    portal acting for a verified citizen: no region scope, as in :func:`person_create`.
    """
    resolved: list[tuple[Person, str]] = []
    for i, m in enumerate(members):
        person = m.get("person") or _member_person(user, m, data)
        resolved.append((person, "head" if i == 0 else m["relation"]))
    if not resolved:
        raise ValidationError({"members": "家庭至少要有户主一人"})
    (head, _), rest = resolved[0], resolved[1:]
    return household_create(user=user, data=data, head=head, members=rest)


def _member_person(user, member: dict, household: dict) -> Person:
    from . import selectors

    if member.get("person_id") is not None:
        if user is None:
            return Person.objects.get(pk=member["person_id"])
        return selectors.person_get(user=user, pk=member["person_id"])
    id_number = (member.get("id_number") or "").strip()
    if id_number:
        found = Person.objects.all() if user is None else Person.objects.for_user(user, "registry.change")
        person = found.filter(id_number_index=nz.id_index(id_number)).first()
        if person is not None:
            return person
    if member.get("fields") is None:
        if id_number:
            raise ValidationError(
                {"members": f"在您的管辖范围内找不到该身份证号（{mask_id_number(id_number)}）的人员，请先登记人员"}
            )
        raise ValidationError({"members": "每名成员须给出 person_id、身份证号或人员信息"})
    fields = {"hukou_type": household.get("hukou_type", ""), "region_code": household.get("region_code", ""),
              **member["fields"]}  # fmt: skip
    return person_create(user=user, data=fields)


def _check_free(persons) -> None:
    busy = Membership.objects.filter(person__in=persons, valid_to__isnull=True).select_related("person", "household")
    if busy:
        names = "、".join(f"{m.person.name}（{m.household.number}）" for m in busy)
        raise ValidationError({"members": f"以下人员已属于其他家庭，须先办理迁出：{names}"})


@transaction.atomic
def household_update(*, user, household: Household, data: dict) -> Household:
    return _update_audited(
        user=user,
        instance=household,
        clean=lambda h: household_clean(data, instance=h),
        fields=HOUSEHOLD_FIELDS,
        summary=lambda h: f"修改家庭 {h.number}",
    )


@transaction.atomic
def membership_add(
    *, user, household: Household, person: Person, relation: str, valid_from: dt.date | None = None
) -> Membership:
    permission_require(user, "registry.change", household.region_code)
    if relation not in Relation.values or relation == Relation.HEAD:
        raise ValidationError({"relation": "与户主关系无效（户主随家庭建立，变更户主请办理户主变更）"})
    _check_free([person])
    m = Membership.objects.create(
        household=household, person=person, relation=relation, valid_from=valid_from or timezone.localdate()
    )
    audit_record(
        action="update",
        object_type="registry.household",
        object_id=household.pk,
        region_code=household.region_code,
        summary=f"家庭 {household.number} 增加成员 {person.name}",
        changes={"member_added": [None, [person.pk, relation]]},
    )
    return m


@transaction.atomic
def membership_end(*, user, membership: Membership, valid_to: dt.date | None = None, reason: str = "") -> Membership:
    household = membership.household
    permission_require(user, "registry.change", household.region_code)
    if membership.valid_to is not None:
        raise ValidationError("该成员关系已经终止")
    if membership.relation == Relation.HEAD:
        raise ValidationError("户主不能直接移出，请先变更户主")
    if not reason:
        raise ValidationError({"reason": "请填写成员变动原因"})
    membership.valid_to = valid_to or timezone.localdate()
    membership.end_reason = reason[:100]
    membership.save(update_fields=["valid_to", "end_reason"])
    audit_record(
        action="update",
        object_type="registry.household",
        object_id=household.pk,
        region_code=household.region_code,
        summary=f"家庭 {household.number} 成员 {membership.person.name} 移出：{reason}",
        changes={"member_removed": [[membership.person_id, membership.relation], None]},
    )
    return membership


@transaction.atomic
def membership_restore(*, user, membership: Membership, reason: str) -> Membership:
    """Re-open a membership ended by mistake (e.g. a 减员 entered when a case opened, then the case
    was cancelled): the person is a current member again from the same start, as before the end.
    Refused where the person has become a member of a household since."""
    household = membership.household
    permission_require(user, "registry.change", household.region_code)
    if membership.valid_to is None:
        raise ValidationError("该成员关系未终止，无需恢复")
    if not reason:
        raise ValidationError({"reason": "请填写恢复成员关系的原因"})
    _check_free([membership.person])
    ended = [membership.valid_to.isoformat(), membership.end_reason]
    membership.valid_to = None
    membership.end_reason = ""
    membership.save(update_fields=["valid_to", "end_reason"])
    audit_record(
        action="update",
        object_type="registry.household",
        object_id=household.pk,
        region_code=household.region_code,
        summary=f"家庭 {household.number} 恢复成员 {membership.person.name}：{reason}",
        changes={"member_restored": [ended, [membership.person_id, membership.relation]]},
    )
    return membership
