"""Template context of portal pages (registered in settings as a context processor): the signed-in
citizen, large-text mode, and the links of the home page resolved softly — a page whose URL name
does not exist (yet) is left out instead of failing the page."""

from __future__ import annotations

import functools

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .applications import APPLICATIONS
from .services import citizen_unread_count
from .session import citizen_of

LARGE_TEXT_COOKIE = "portal_large"
PREFIX = "/portal/"

# The entry points of the portal, in the order of the home page: (URL name, label, explanation);
# 我要申请 is explained by what the registered application plugins say they cover (apply_note).
ENTRIES = (
    ("guide", "办事指南", "能办什么、要带什么材料"),
    ("apply", "我要申请", ""),
    ("cases", "我的办件", "查看申请办到哪一步了"),
    ("lookup", "进度查询", "不登录，凭办件编号查询"),
    ("report", "一键报贫", "为自己或他人反映困难"),
    ("notices", "公示公告", "本村（社区）的公示"),
    ("messages", "我的消息", "办件进度短信通知"),
    ("bodies", "机构查询", "查询机构的等级和公开的检查结果"),
    ("draws", "双随机一公开", "抽查对象和检查结果公开"),
    ("inst_login", "机构端", "受监管机构的工作人员登录"),
)


def soft_url(name: str, *args) -> str:
    """``reverse("portal:<name>")``, or "" when that page does not exist."""
    try:
        return reverse(f"portal:{name}", args=args)
    except NoReverseMatch:
        return ""


@functools.cache
def portal_urls() -> dict[str, str]:
    """Every portal URL name the templates may link to, "" for those not built. Cached per
    process: URL patterns do not change while it runs (tests that swap URLconfs call
    ``portal_urls.cache_clear()``)."""
    names = [n for n, _, _ in ENTRIES] + ["home", "login", "logout", "account", "large_text"]
    return {n: soft_url(n) for n in names}


def apply_note() -> str:
    """我要申请's explanation: the items the registered application plugins cover, in their words."""
    covered = "、".join(p.summary for p in APPLICATIONS.values() if p.summary)
    return f"{covered}等网上申请" if covered else "网上申请"


def large_text_on(request, citizen=None) -> bool:
    """Large text when the cookie says so; without a cookie, the signed-in citizen's preference."""
    cookie = request.COOKIES.get(LARGE_TEXT_COOKIE)
    if cookie in ("0", "1"):
        return cookie == "1"
    return bool(citizen and citizen.large_text)


def portal(request) -> dict:
    if not request.path.startswith(PREFIX):
        return {}
    citizen = citizen_of(request)
    urls = portal_urls()
    return {
        "citizen": citizen,
        "large_text": large_text_on(request, citizen),
        "portal_urls": urls,
        "portal_entries": [
            (urls[n], label, apply_note() if n == "apply" else note) for n, label, note in ENTRIES if urls[n]
        ],
        "bureau_name": settings.MINZHENG_BUREAU_NAME,
        # counted only when a template asks (the header of a signed-in page)
        "unread": functools.partial(citizen_unread_count, citizen) if citizen else 0,
    }
