import datetime as dt

from ninja import Schema


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires_in: int


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


class PersonPatch(Schema):
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


class HouseholdPatch(Schema):
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
