"""Staff users, roles and region grants. A grant gives one role for one region and below."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=50, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "工作人员"

    def __str__(self):
        return self.display_name or self.username


class Role(models.Model):
    """受理员, 调查员 …; what each may do is data (``permissions``), seeded by a migration."""

    code = models.CharField("代码", max_length=30, primary_key=True)
    name = models.CharField("名称", max_length=30, unique=True)
    permissions = models.JSONField("权限", default=list)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "角色"
        ordering = ["sort", "code"]

    def __str__(self):
        return self.name


class Grant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants", verbose_name="用户")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="grants", verbose_name="角色")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    prefix = models.CharField("区划前缀", max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "授权"
        constraints = [models.UniqueConstraint(fields=["user", "role", "region"], name="grant_unique")]

    def __str__(self):
        return f"{self.user} · {self.role} · {self.region_id}"


class ApiToken(models.Model):
    """Bearer token for the REST API; only its SM3 hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="用户")
    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField("名称", max_length=60, blank=True, default="")
    scopes = models.JSONField("范围", default=list, blank=True)  # empty = the user's own permissions
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("过期时间")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"

    def __str__(self):
        return f"{self.user} · {self.name or '令牌'}"
