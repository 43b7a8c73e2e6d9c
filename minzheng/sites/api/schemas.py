import datetime as dt

from ninja import Field, Schema
from pydantic import model_validator


class ObjectIn(Schema):
    """A request body that must be a JSON object. Where every field has a default, a bare number,
    string or list would otherwise be taken for an empty object (and a PATCH or a search run)."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data):
        if not isinstance(getattr(data, "_obj", data), dict):  # ninja hands the body in a DjangoGetter
            raise ValueError("请求体须为 JSON 对象")
        return data


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires_in: int


# Paging bounds of every list endpoint: beyond them a request is refused (422), never handed to the
# database (an offset past the 64-bit range was a server error on SQLite).
MAX_OFFSET = 100_000_000


class ErrorOut(Schema):
    detail: str
    errors: dict[str, str] | None = None


class PersonListItem(Schema):
    id: int
    name: str
    id_number: str
    sex: str
    birth_date: dt.date
    region_code: str


class PersonOut(PersonListItem):
    ethnicity: str
    phone: str
    hukou_type: str
    hukou_region_code: str
    disability_kind: str
    disability_grade: int | None
    serious_illness: bool
    labour_capacity: bool | None
    self_care: str
    death_date: dt.date | None
    household_id: int | None
    household_number: str | None


class PersonIn(Schema):
    name: str
    id_number: str
    hukou_type: str
    region_code: str
    hukou_region_code: str = ""
    ethnicity: str = "汉族"
    phone: str = ""
    disability_kind: str = ""
    disability_grade: int | None = None
    serious_illness: bool = False
    labour_capacity: bool | None = None
    self_care: str = "full"


class PersonPatch(ObjectIn):
    name: str | None = None
    id_number: str | None = None
    hukou_type: str | None = None
    region_code: str | None = None
    hukou_region_code: str | None = None
    ethnicity: str | None = None
    phone: str | None = None
    disability_kind: str | None = None
    disability_grade: int | None = None
    serious_illness: bool | None = None
    labour_capacity: bool | None = None
    self_care: str | None = None
    death_date: dt.date | None = None


class SearchIn(ObjectIn):
    """A registry search in the body, so that an ID number never travels in a URL."""

    q: str = Field("", max_length=100, description="身份证号、姓名、拼音首字母、户编号或地址")
    region: str = Field("", max_length=12, description="区划代码（可选）")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(50, ge=1, le=500)


class RevealIn(Schema):
    field: str


class RevealOut(Schema):
    field: str
    value: str


class MemberOut(Schema):
    person_id: int
    name: str
    id_number: str
    relation: str
    valid_from: dt.date


class HouseholdListItem(Schema):
    id: int
    number: str
    head_name: str | None
    region_code: str
    hukou_type: str


class HouseholdOut(HouseholdListItem):
    address: str
    bank_name: str
    bank_account: str
    members: list[MemberOut]


class MemberIn(Schema):
    relation: str
    person_id: int | None = None
    person: PersonIn | None = None


class HouseholdIn(Schema):
    region_code: str
    hukou_type: str
    address: str = ""
    bank_name: str = ""
    bank_account: str = ""
    head: MemberIn
    members: list[MemberIn] = []


class HouseholdPatch(ObjectIn):
    region_code: str | None = None
    hukou_type: str | None = None
    address: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None


class Page(Schema):
    count: int
    items: list


class PersonPage(Schema):
    count: int
    items: list[PersonListItem]


class HouseholdPage(Schema):
    count: int
    items: list[HouseholdListItem]


class StandardOut(Schema):
    key: str
    label: str
    mode: str
    value: str | None
    unit: str
    region_code: str | None = Field(None, description="给出该值的区划；空字符串为全国默认")
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    source_document: str = ""


class EnrollmentEventOut(Schema):
    kind: str
    state: str
    monthly_amount: str
    persons_covered: int
    effective_month: dt.date
    reason: str
    note: str
    created_at: dt.datetime


class EnrollmentOut(Schema):
    id: int
    number: str
    program: str
    program_name: str
    household_id: int
    household_number: str
    head_name: str | None
    person_id: int | None
    region_code: str
    hukou_type: str
    classification: str
    state: str
    monthly_amount: str
    persons_covered: int
    start_month: dt.date
    end_month: dt.date | None
    phase_out_until: dt.date | None
    review_class: str
    next_review: dt.date | None
    predecessor_id: int | None
    events: list[EnrollmentEventOut] | None = None


class EnrollmentPage(Schema):
    count: int
    items: list[EnrollmentOut]
