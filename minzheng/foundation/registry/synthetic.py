"""A synthetic but plausible population for demos and benchmarks.

Chinese names by common-surname frequency, valid ID numbers whose region, birth date and sex digit
agree with the person, and households shaped like real ones: couples with children, three
generations, elderly couples, elderly people living alone, single adults, single parents; some
members disabled, seriously ill or unable to work. Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from minzheng.foundation.codes.idnumbers import make_id_number

from .bulk import HouseholdRow, MemberRow

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文"
GIVEN_M = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文德海东生成荣新春永金"
GIVEN_F = "芳娜敏静丽艳娟霞秀英华玲桂兰萍红梅琳燕雪琴慧莉婷颖倩欣怡佳萱雨晨思彤紫涵淑珍凤云月"
ETHNICITIES = ["汉族"] * 97 + ["畲族", "回族", "苗族"]
DISABILITY_KINDS = [
    "limb",
    "limb",
    "limb",
    "visual",
    "hearing",
    "speech",
    "intellectual",
    "mental",
    "multiple",
]
BANKS = ["中国农业银行", "中国工商银行", "中国建设银行", "中国银行", "农村商业银行", "中国邮政储蓄银行"]
SHAPES = [  # (weight, shape)
    (36, "couple_children"),
    (18, "three_generations"),
    (15, "elderly_couple"),
    (11, "elderly_alone"),
    (12, "single_adult"),
    (5, "single_parent"),
    (3, "grandparent_grandchild"),
]


class Population:
    def __init__(
        self,
        *,
        villages: list[str],
        hukou_region6: str | None = None,
        seed: int = 2026,
        today: dt.date | None = None,
    ):
        if not villages:
            raise ValueError("没有可用的村(社区)区划")
        self.rnd = random.Random(seed)
        self.villages = villages
        self.hukou_region6 = hukou_region6
        self.today = today or dt.date(2026, 11, 1)
        self.used: set[str] = set()
        self.weights = [w for w, _ in SHAPES]
        self.shapes = [s for _, s in SHAPES]
        self.family = ""

    def name(self, sex: str, surname: str | None = None) -> str:
        r = self.rnd
        given = GIVEN_M if sex == "male" else GIVEN_F
        n = (surname or r.choice(SURNAMES)) + r.choice(given)
        if r.random() < 0.7:
            n += r.choice(given)
        return n

    def birth(self, age_low: int, age_high: int) -> dt.date:
        age_days = self.rnd.randint(age_low * 365 + 1, age_high * 365 + 364)
        return self.today - dt.timedelta(days=age_days)

    def id_number(self, region6: str, birth: dt.date, sex: str) -> str:
        r = self.rnd
        for _ in range(50):
            seq = r.randrange(0, 1000)
            if (seq % 2 == 1) != (sex == "male"):
                seq = (seq + 1) % 1000
            number = make_id_number(region6, birth, seq)
            if number not in self.used:
                self.used.add(number)
                return number
        raise RuntimeError("ID space exhausted for one birth date")

    def member(self, relation: str, sex: str, age: tuple[int, int], village: str, hukou: str) -> MemberRow:
        """Children, grandchildren and male heads or spouses carry the family surname (the father's)."""
        r = self.rnd
        family = relation in ("child", "grandchild") or (relation in ("head", "spouse") and sex == "male")
        birth = self.birth(*age)
        years = (self.today - birth).days // 365
        region6 = self.hukou_region6 or village[:6]
        m = MemberRow(
            name=self.name(sex, self.family if family else None),
            id_number=self.id_number(region6, birth, sex),
            relation=relation,
            hukou_type=hukou,
            hukou_region_code=village,
            region_code=village,
            ethnicity=r.choice(ETHNICITIES),
        )
        if 18 <= years <= 75 and r.random() < 0.8:
            m.phone = "1" + r.choice("3578") + "".join(r.choice("0123456789") for _ in range(9))
        if r.random() < (0.03 if years < 60 else 0.10):
            m.disability_kind = r.choice(DISABILITY_KINDS)
            m.disability_grade = r.choices([1, 2, 3, 4], [15, 25, 30, 30])[0]
        if r.random() < (0.02 if years < 60 else 0.06):
            m.serious_illness = True
        if years < 16:
            m.labour_capacity = None
        elif years >= 70 or (m.disability_grade in (1, 2)) or m.serious_illness:
            m.labour_capacity = False
        else:
            m.labour_capacity = years < 60 or r.random() < 0.5
        if years >= 80 or m.disability_grade == 1:
            m.self_care = r.choices(["full", "partial", "none"], [50, 35, 15])[0]
        return m

    def household(self) -> HouseholdRow:
        r = self.rnd
        village = r.choice(self.villages)
        hukou = "rural" if village[9:] >= "200" or r.random() < 0.5 else "urban"
        shape = r.choices(self.shapes, self.weights)[0]
        self.family = r.choice(SURNAMES)
        head_sex = "male" if r.random() < 0.75 else "female"
        other = "female" if head_sex == "male" else "male"
        m = self.member
        if shape == "couple_children":
            members = [
                m("head", head_sex, (28, 55), village, hukou),
                m("spouse", other, (26, 53), village, hukou),
            ]
            members += [
                m("child", r.choice(["male", "female"]), (0, 22), village, hukou)
                for _ in range(r.choice([1, 1, 2, 2, 3]))
            ]
        elif shape == "three_generations":
            members = [
                m("head", head_sex, (35, 55), village, hukou),
                m("spouse", other, (33, 53), village, hukou),
            ]
            members += [
                m("parent", s, (62, 92), village, hukou) for s in r.sample(["male", "female"], r.choice([1, 2]))
            ]
            members += [
                m("child", r.choice(["male", "female"]), (0, 20), village, hukou) for _ in range(r.choice([1, 2]))
            ]
        elif shape == "elderly_couple":
            members = [
                m("head", "male", (60, 90), village, hukou),
                m("spouse", "female", (58, 88), village, hukou),
            ]
        elif shape == "elderly_alone":
            members = [m("head", r.choice(["male", "female", "female"]), (65, 98), village, hukou)]
        elif shape == "single_adult":
            members = [m("head", head_sex, (20, 59), village, hukou)]
        elif shape == "single_parent":
            members = [m("head", r.choice(["female", "female", "male"]), (25, 50), village, hukou)]
            members += [
                m("child", r.choice(["male", "female"]), (0, 17), village, hukou) for _ in range(r.choice([1, 2]))
            ]
        else:
            members = [m("head", r.choice(["male", "female"]), (60, 80), village, hukou)]
            members += [
                m("grandchild", r.choice(["male", "female"]), (3, 16), village, hukou) for _ in range(r.choice([1, 2]))
            ]
        bank = ""
        if r.random() < 0.85:
            bank = "6" + "".join(r.choice("0123456789") for _ in range(18))
        return HouseholdRow(
            region_code=village,
            hukou_type=hukou,
            members=members,
            address=f"{r.randint(1, 300)}号",
            bank_name=r.choice(BANKS) if bank else "",
            bank_account=bank,
        )

    def households(self, persons: int) -> Iterator[HouseholdRow]:
        made = 0
        while made < persons:
            h = self.household()
            made += len(h.members)
            yield h
