"""Resident registry: persons, households, memberships over time.

ID numbers, phones and bank accounts are stored SM4-encrypted; the ID number is found through its
keyed blind index (``id_number_index``); lists show the stored masked form and never decrypt.
"""

from django.db import models

from minzheng.foundation.accounts.scoping import ScopedQuerySet
from minzheng.foundation.crypto.fields import EncryptedTextField

from .fields import BytewiseCharField


class HukouType(models.TextChoices):
    URBAN = "urban", "城镇"
    RURAL = "rural", "农村"


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class DisabilityKind(models.TextChoices):
    VISUAL = "visual", "视力"
    HEARING = "hearing", "听力"
    SPEECH = "speech", "言语"
    LIMB = "limb", "肢体"
    INTELLECTUAL = "intellectual", "智力"
    MENTAL = "mental", "精神"
    MULTIPLE = "multiple", "多重"


class SelfCare(models.TextChoices):
    FULL = "full", "全自理"
    PARTIAL = "partial", "部分丧失"
    NONE = "none", "完全丧失"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    SIBLING = "sibling", "兄弟姐妹"
    GRANDCHILD = "grandchild", "孙子女"
    GRANDPARENT = "grandparent", "祖父母"
    CHILD_IN_LAW = "child_in_law", "儿媳/女婿"
    OTHER = "other", "其他"


class Person(models.Model):
    name = models.CharField("姓名", max_length=50)  # searched through PersonNameGram
    name_initials = BytewiseCharField("姓名拼音首字母", max_length=50, editable=False)
    id_number = EncryptedTextField("身份证号")
    id_number_index = BytewiseCharField("身份证号盲索引", max_length=64, editable=False)  # unique: see Meta
    id_number_masked = models.CharField("身份证号（脱敏）", max_length=18, editable=False)
    sex = models.CharField("性别", max_length=6, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    phone = EncryptedTextField("联系电话", blank=True, default="")
    phone_masked = models.CharField("联系电话（脱敏）", max_length=20, blank=True, default="", editable=False)
    hukou_type = models.CharField("户籍类型", max_length=5, choices=HukouType.choices)
    hukou_region_code = models.CharField("户籍地区划代码", max_length=12)
    region_code = models.CharField("居住地区划代码", max_length=12)
    disability_kind = models.CharField(
        "残疾类别", max_length=12, choices=DisabilityKind.choices, blank=True, default=""
    )
    disability_grade = models.PositiveSmallIntegerField(
        "残疾等级", null=True, blank=True, choices=[(i, f"{i}级") for i in range(1, 5)]
    )
    serious_illness = models.BooleanField("重病", default=False)
    labour_capacity = models.BooleanField("劳动能力", null=True, blank=True)
    self_care = models.CharField("生活自理能力", max_length=8, choices=SelfCare.choices, default=SelfCare.FULL)
    death_date = models.DateField("死亡日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "人员"
        # A UniqueConstraint rather than unique=True: on PostgreSQL the latter adds a second,
        # LIKE-pattern index that an exact-match hash never uses (and every insert pays for).
        constraints = [models.UniqueConstraint(fields=["id_number_index"], name="person_id_number_index_unique")]
        indexes = [
            models.Index(fields=["region_code", "name"], name="person_region_name"),
            models.Index(fields=["name_initials", "region_code"], name="person_initials_region"),
        ]

    def __str__(self):
        return f"{self.name}（{self.id_number_masked}）"


class PersonNameGram(models.Model):
    """Every character and every pair of adjacent characters of a person's name, with the person's
    region: "name contains 建国" becomes an index range scan on (gram, region_code) instead of a
    scan of every name in the user's regions. Kept in step by the registry services."""

    # The key (person, gram) is the index that finds a person's grams (rewrites, cascades); no
    # surrogate id: bulk loads write ~4.4 rows a person here, and every column and index is paid
    # for per row. No database FK: a derived index table, rewritten by the services; a per-row RI
    # check would cost more than the five rows it guards (Django still cascades deletes).
    pk = models.CompositePrimaryKey("person", "gram")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    gram = BytewiseCharField(max_length=2)
    region_code = BytewiseCharField(max_length=12)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "姓名检索词"
        indexes = [models.Index(fields=["gram", "region_code", "person"], name="namegram_lookup")]

    def __str__(self):
        return f"{self.gram}→{self.person_id}"


class Household(models.Model):
    number = models.CharField("户编号", max_length=20)  # unique: see Meta
    head = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="户主"
    )
    region_code = models.CharField("所在区划代码", max_length=12)
    address = models.CharField("地址", max_length=200, blank=True, default="")
    hukou_type = models.CharField("户籍类型", max_length=5, choices=HukouType.choices)
    bank_name = models.CharField("开户银行", max_length=60, blank=True, default="")
    bank_account = EncryptedTextField("银行账号", blank=True, default="")
    bank_account_masked = models.CharField("银行账号（脱敏）", max_length=40, blank=True, default="", editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "家庭"
        constraints = [models.UniqueConstraint(fields=["number"], name="household_number_unique")]
        indexes = [models.Index(fields=["region_code", "number"], name="household_region_number")]

    def __str__(self):
        return self.number


class Membership(models.Model):
    """A person belongs to a household from ``valid_from`` until ``valid_to`` (open = current)."""

    # no index of its own: membership_household_current (household, valid_to) serves every lookup
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="memberships", verbose_name="家庭", db_index=False
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships", verbose_name="人员")
    relation = models.CharField("与户主关系", max_length=14, choices=Relation.choices)
    valid_from = models.DateField("起始日期")
    valid_to = models.DateField("终止日期", null=True, blank=True)
    end_reason = models.CharField("变动原因", max_length=100, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "家庭成员关系"
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(valid_to__isnull=True), name="one_current_household"
            ),
        ]
        indexes = [models.Index(fields=["household", "valid_to"], name="membership_household_current")]

    def __str__(self):
        return f"{self.household_id}:{self.person_id}:{self.relation}"
