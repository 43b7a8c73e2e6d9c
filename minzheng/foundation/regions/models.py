"""行政区划: the region tree keyed by the 12-digit statistical code (统计用区划代码)."""

from django.db import models


class Level(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县(区)"
    TOWNSHIP = "township", "乡镇(街道)"
    VILLAGE = "village", "村(社区)"


# Significant digits of a code at each level: "everything under 瑞安市" is the prefix 330381.
PREFIX_LENGTH = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}


class Region(models.Model):
    code = models.CharField("统计用区划代码", max_length=12, primary_key=True)
    gb_code = models.CharField("GB/T 2260 代码", max_length=6, blank=True, default="", db_index=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    urban_rural_class = models.CharField("城乡分类代码", max_length=3, blank=True, default="")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def prefix(self) -> str:
        """The code prefix that selects this region and everything under it."""
        return self.code[: PREFIX_LENGTH[self.level]]
