"""Settings, read from environment variables.

Every variable is documented in the README (section 配置) with its default. The embedded default
(no variable set) runs on a SQLite file under ``var/`` with background jobs in the web process.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MINZHENG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment, else a key generated once and kept in ``var/``."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = VAR_DIR / "secret_key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# DEBUG: development mode; never in production. Default off.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
# ALLOWED_HOSTS: comma-separated host names. Default: localhost only.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# TRUSTED_PROXIES: comma-separated IP addresses or CIDR networks of the reverse proxies in front of
# the server (e.g. "10.0.0.2,10.1.0.0/24"). Only a connection from one of them may name the client
# in X-Forwarded-For (the right-most address that is not one of them). Default: none — the header
# is ignored and the connecting address is the client's (ADR 0013).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "axes",
    # foundation
    "minzheng.foundation.regions",
    "minzheng.foundation.codes",
    "minzheng.foundation.numbering",
    "minzheng.foundation.crypto",
    "minzheng.foundation.audit",
    "minzheng.foundation.accounts",
    "minzheng.foundation.jobs",
    "minzheng.foundation.registry",
    "minzheng.foundation.entities",
    "minzheng.foundation.calendar",
    "minzheng.foundation.files",
    "minzheng.foundation.notify",
    "minzheng.foundation.documents",
    "minzheng.foundation.parameters",
    # engines
    "minzheng.engines.benefits",
    "minzheng.engines.cases",
    "minzheng.engines.verification",
    "minzheng.engines.monitoring",
    "minzheng.engines.supervision",
    # business lines
    "minzheng.business.assistance",
    "minzheng.business.eldercare",
    # sites
    "minzheng.sites.api",
    "minzheng.sites.workbench",
    "minzheng.sites.portal",
    "minzheng.sites.portal.assistance",  # the assistance application plugin (portal_assistance)
    "minzheng.sites.portal.eldercare",  # 养老机构查询 and the care homes' institution pages (portal_eldercare)
    "minzheng.sites.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # a NUL character in any parameter or field is refused (400) before CSRF and the views read it
    "minzheng.sites.middleware.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "minzheng.foundation.audit.middleware.RequestContextMiddleware",
    # /portal/ only: CSP and other security headers, no staff login there, audit actor = visitor
    "minzheng.sites.portal.middleware.PortalSecurityMiddleware",
    # the workbench (all but /portal/, /api/, /admin/): a CSP as strict as the portal's
    "minzheng.sites.workbench.middleware.WorkbenchSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # a workbench session of an account locked or disabled since it signed in ends at its next request
    "minzheng.sites.workbench.middleware.WorkbenchAccountMiddleware",
]

ROOT_URLCONF = "minzheng.urls"
WSGI_APPLICATION = "minzheng.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "minzheng.sites.workbench.context.workbench",
                # /portal/ pages only: the signed-in citizen, large-text mode, links of built pages
                "minzheng.sites.portal.context.portal",
            ],
        },
    },
]

# DATABASE_URL: e.g. postgres://user@host:5432/db. Default: SQLite file var/minzheng.sqlite3.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'minzheng.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the background worker write while pages read.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test.sqlite3")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "minzheng.foundation.accounts.passwords.CharacterClassValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "workbench:login"
LOGIN_REDIRECT_URL = "workbench:home"

# Login lockout: 5 failures lock the username for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "minzheng.foundation.accounts.lockout.lockout_response"
AXES_VERBOSE = False
# the lockout's records name the same client address as the audit log (TRUSTED_PROXIES)
AXES_CLIENT_IP_CALLABLE = "minzheng.foundation.audit.middleware.client_ip"
# Lockout is per account (the issue asks for it); per-IP throttling belongs to the reverse proxy,
# since a whole township office often shares one address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Session: 30 minutes idle timeout.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# SECURE_COOKIES: send session and CSRF cookies over HTTPS only. Default off (the embedded server is plain HTTP).
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "zh-hans"
# the only language: a browser asking for English still gets Chinese messages from Django's forms
LANGUAGES = [("zh-hans", "简体中文")]
# Django's own form and validator messages reworded as a caseworker writes them (minzheng/locale;
# a project catalogue comes before Django's): "不能超过 200 个字", never "确保该变量…".
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# MINZHENG_KEYS: encryption keys, "kid=hex32,kid=hex32,index=hex32" (first data key is current).
# Default: keys generated once into var/keys (a warning is printed: not for production).
MINZHENG_KEYS = os.environ.get("MINZHENG_KEYS", "")
MINZHENG_KEY_FILE = VAR_DIR / "keys"
# MINZHENG_AUDIT_KEY: the HMAC-SM3 key of the audit chain and its checkpoints (hex, 16-64 bytes;
# `python -c "import secrets; print(secrets.token_hex(32))"`), apart from MINZHENG_KEYS and held by
# the audit administrator. Default: generated once into var/audit_key, with a warning (ADR 0014).
MINZHENG_AUDIT_KEY = os.environ.get("MINZHENG_AUDIT_KEY", "")
MINZHENG_AUDIT_KEY_FILE = VAR_DIR / "audit_key"
# MINZHENG_AUDIT_CHECKPOINT_FILE: the append-only file the audit checkpoints are written to (put it
# where the database account cannot write: another disk, `chattr +a`, shipped to a log server).
# Default var/audit_checkpoints.log.
MINZHENG_AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("MINZHENG_AUDIT_CHECKPOINT_FILE", VAR_DIR / "audit_checkpoints.log")
)
# MINZHENG_AUDIT_CHECKPOINT_MINUTES: how often Celery beat writes a checkpoint (when the chain has
# grown). Default 10. On the embedded default use cron: `*/10 * * * * minzheng audit checkpoint --if-moved`.
MINZHENG_AUDIT_CHECKPOINT_MINUTES = int(os.environ.get("MINZHENG_AUDIT_CHECKPOINT_MINUTES", "10"))

# MINZHENG_JOBS: "thread" (embedded default: a worker thread in the server process) or "celery".
MINZHENG_JOBS = os.environ.get("MINZHENG_JOBS", "thread")
# MINZHENG_JOBS_LEASE_SECONDS: the lease of a running job, renewed by its worker's heartbeat (every
# quarter lease) and progress; a job still running after its lease expired lost its worker and is
# reaped by `minzheng jobs work`, the embedded backend's start-up (then every lease) and Celery beat.
# Default 300.
MINZHENG_JOBS_LEASE_SECONDS = float(os.environ.get("MINZHENG_JOBS_LEASE_SECONDS", "300"))
# MINZHENG_JOBS_MAX_ATTEMPTS: a reaped job is queued again while it has run fewer times than this
# (and read no uploaded file); otherwise it is marked failed for an administrator to retry. Default 3.
MINZHENG_JOBS_MAX_ATTEMPTS = int(os.environ.get("MINZHENG_JOBS_MAX_ATTEMPTS", "3"))
# REDIS_URL / CELERY_BROKER_URL: the Celery broker (Redis or RabbitMQ amqp://) for MINZHENG_JOBS=celery.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
# MINZHENG_CACHE: "local" (default: each process its own memory; fine for one process) or "redis"
# (REDIS_URL; needed with several gunicorn workers so that cache-held throttles, e.g. portal
# objections, count across them).
if os.environ.get("MINZHENG_CACHE", "local") == "redis":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE

# MINZHENG_BUREAU_NAME: the bureau's name on pages and documents.
MINZHENG_BUREAU_NAME = os.environ.get("MINZHENG_BUREAU_NAME", "瑞安市民政局")

# MINZHENG_UPLOAD_MAX_BYTES: the largest uploaded file (申请材料) accepted, in bytes. Default 10 MiB.
MINZHENG_UPLOAD_MAX_BYTES = int(os.environ.get("MINZHENG_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))

# Imports are bounded by what they read (foundation/tabular.py); a file over a cap is refused whole
# with a Chinese message, reading stops at the first row past it and nothing is written.
# MINZHENG_IMPORT_MAX_BYTES: the largest household import workbook (.xlsx). Default 10 MiB.
MINZHENG_IMPORT_MAX_BYTES = int(os.environ.get("MINZHENG_IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
# MINZHENG_IMPORT_MAX_ROWS: data rows of a household import, blank rows counted too. Default 20000.
MINZHENG_IMPORT_MAX_ROWS = int(os.environ.get("MINZHENG_IMPORT_MAX_ROWS", "20000"))
# MINZHENG_IMPORT_MAX_COLUMNS: columns of an import's header (a wider one is refused; data rows are
# read as wide as the header). Default 64.
MINZHENG_IMPORT_MAX_COLUMNS = int(os.environ.get("MINZHENG_IMPORT_MAX_COLUMNS", "64"))
# MINZHENG_IMPORT_MAX_CELL_CHARS: characters of one cell of an imported .xlsx/CSV. Default 2000.
MINZHENG_IMPORT_MAX_CELL_CHARS = int(os.environ.get("MINZHENG_IMPORT_MAX_CELL_CHARS", "2000"))
# MINZHENG_IMPORT_MAX_UNZIPPED_BYTES: an imported .xlsx's parts unzipped together (sheet, shared
# strings, styles …; a zip bomb is refused before it is opened). Default 256 MiB.
MINZHENG_IMPORT_MAX_UNZIPPED_BYTES = int(os.environ.get("MINZHENG_IMPORT_MAX_UNZIPPED_BYTES", str(256 * 1024 * 1024)))
# MINZHENG_IMPORT_MAX_SHARED_STRINGS: entries of an imported .xlsx's shared strings table (its
# distinct texts; openpyxl loads them all before the first row, ~20,000 a second). Default 200,000.
MINZHENG_IMPORT_MAX_SHARED_STRINGS = int(os.environ.get("MINZHENG_IMPORT_MAX_SHARED_STRINGS", "200000"))
# MINZHENG_SOURCES_MAX_BYTES: the largest partner data file (CSV or .xlsx). Default 2 GiB.
MINZHENG_SOURCES_MAX_BYTES = int(os.environ.get("MINZHENG_SOURCES_MAX_BYTES", str(2 * 1024**3)))
# MINZHENG_SOURCES_MAX_ROWS: data lines of a partner CSV, blank lines counted too. Default 10,000,000.
MINZHENG_SOURCES_MAX_ROWS = int(os.environ.get("MINZHENG_SOURCES_MAX_ROWS", "10000000"))
# MINZHENG_SOURCES_MAX_XLSX_ROWS: data rows of a partner .xlsx, blank rows counted too (larger
# files come as CSV: an .xlsx is parsed row by row, ~50,000 rows a second). Default 50,000.
MINZHENG_SOURCES_MAX_XLSX_ROWS = int(os.environ.get("MINZHENG_SOURCES_MAX_XLSX_ROWS", "50000"))
# MINZHENG_BANK_RESULT_MAX_BYTES / MINZHENG_BANK_RESULT_MAX_ROWS: a bank's result file (回盘文件)
# read at payroll reconciliation: its size, and its lines after the header or control record (blank
# lines counted too), checked before it is parsed. Defaults 200 MiB and 2,000,000.
MINZHENG_BANK_RESULT_MAX_BYTES = int(os.environ.get("MINZHENG_BANK_RESULT_MAX_BYTES", str(200 * 1024 * 1024)))
MINZHENG_BANK_RESULT_MAX_ROWS = int(os.environ.get("MINZHENG_BANK_RESULT_MAX_ROWS", "2000000"))
# MINZHENG_REVEAL_LIMIT / MINZHENG_REVEAL_WINDOW_MINUTES: a member of staff may reveal at most N
# full numbers (ID number, phone, bank account — workbench and API alike, each an audited read) in
# M minutes; the next is refused and the administrators over the user's regions get one in-app
# alert. Defaults 20 in 10 minutes.
MINZHENG_REVEAL_LIMIT = int(os.environ.get("MINZHENG_REVEAL_LIMIT", "20"))
MINZHENG_REVEAL_WINDOW_MINUTES = int(os.environ.get("MINZHENG_REVEAL_WINDOW_MINUTES", "10"))

# MINZHENG_NOTIFY_BACKENDS: which backend delivers each channel, "channel=backend,…" (channels
# in_app, sms, email; backends local, console, smtp, http_sms). Default: all "local" (recorded and
# logged, nothing leaves the machine). Production e.g. "in_app=local,sms=http_sms,email=smtp"
# (smtp uses Django's EMAIL_HOST, EMAIL_PORT … and DEFAULT_FROM_EMAIL).
MINZHENG_NOTIFY_BACKENDS = {
    channel.strip(): name.strip()
    for channel, _, name in (
        item.partition("=") for item in env_list("MINZHENG_NOTIFY_BACKENDS", "in_app=local,sms=local,email=local")
    )
}
# MINZHENG_SMS_URL: the SMS gateway of the http_sms backend; it receives a POST of JSON
# {"phone", "text", "sign"} and answers 2xx when accepted. Default empty (http_sms unusable).
MINZHENG_SMS_URL = os.environ.get("MINZHENG_SMS_URL", "")
# MINZHENG_SMS_SIGN: the SMS signature (短信签名) sent with every text. Default 【民政】.
MINZHENG_SMS_SIGN = os.environ.get("MINZHENG_SMS_SIGN", "【民政】")

# Citizen portal (/portal/) sign-in by SMS code:
# MINZHENG_PORTAL_CODE_TTL_MINUTES: how long a sign-in code is valid. Default 10.
MINZHENG_PORTAL_CODE_TTL_MINUTES = int(os.environ.get("MINZHENG_PORTAL_CODE_TTL_MINUTES", "10"))
# MINZHENG_PORTAL_CODE_MAX_ATTEMPTS: wrong entries that void a code. Default 5.
MINZHENG_PORTAL_CODE_MAX_ATTEMPTS = int(os.environ.get("MINZHENG_PORTAL_CODE_MAX_ATTEMPTS", "5"))
# MINZHENG_PORTAL_CODES_PER_PHONE_MINUTE / _PER_PHONE_HOUR / _PER_IP_HOUR: codes sent at most, per
# phone in a minute (default 1) and an hour (default 5), per client address in an hour (default
# 20; counted from the stored codes, so the limits hold across processes).
MINZHENG_PORTAL_CODES_PER_PHONE_MINUTE = int(os.environ.get("MINZHENG_PORTAL_CODES_PER_PHONE_MINUTE", "1"))
MINZHENG_PORTAL_CODES_PER_PHONE_HOUR = int(os.environ.get("MINZHENG_PORTAL_CODES_PER_PHONE_HOUR", "5"))
MINZHENG_PORTAL_CODES_PER_IP_HOUR = int(os.environ.get("MINZHENG_PORTAL_CODES_PER_IP_HOUR", "20"))
# MINZHENG_PORTAL_REGION: the region code of the bureau the portal serves; sign-in SMS are filed
# under it, so that region's administrators (jobs.manage) find them in the workbench's message list
# (the offline demo reads the code there), and the online application's region picker lists its
# townships for applicants the registry does not know. Default 330381000000 (瑞安市, like the bureau name).
MINZHENG_PORTAL_REGION = os.environ.get("MINZHENG_PORTAL_REGION", "330381000000")
# MINZHENG_PORTAL_CSP: the Content-Security-Policy of portal pages. Default (empty): only this
# site's own scripts, styles and images (and data: images), no framing — see portal/middleware.py.
MINZHENG_PORTAL_CSP = os.environ.get("MINZHENG_PORTAL_CSP", "")
# MINZHENG_WORKBENCH_CSP: the Content-Security-Policy of the staff workbench. Default (empty): the
# portal's strict policy — only this site's scripts, styles and images — see workbench/middleware.py.
MINZHENG_WORKBENCH_CSP = os.environ.get("MINZHENG_WORKBENCH_CSP", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"minzheng": {"level": os.environ.get("LOG_LEVEL", "INFO")}},
}

# CELERY_BEAT_SCHEDULE (production, MINZHENG_JOBS=celery, with `celery -A minzheng beat`): every
# night at 02:00 a monitoring run of the rules whose cadence has elapsed (a `monitoring.run` job).
# MINZHENG_MONITOR_HOUR: the hour of that run. Default 2. On the embedded default use cron instead:
# `0 2 * * * minzheng monitor run --due`.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    # audit checkpoints (ADR 0014): the chain's head anchored in MINZHENG_AUDIT_CHECKPOINT_FILE
    "audit-checkpoint": {
        "task": "minzheng.audit.checkpoint",
        "schedule": MINZHENG_AUDIT_CHECKPOINT_MINUTES * 60.0,
    },
    # the whole chain against every checkpoint, nightly at 03:30 (embedded: `30 3 * * * minzheng audit verify`)
    "audit-verify": {"task": "minzheng.audit.verify", "schedule": crontab(hour=3, minute=30)},
    "monitoring-due-rules": {
        "task": "minzheng.monitoring.run_due",
        "schedule": crontab(hour=int(os.environ.get("MINZHENG_MONITOR_HOUR", "2")), minute=0),
    },
    # 渐退期满后停发: the exits of enrollments whose 渐退期 has ended, recorded daily at 01:30
    # (embedded default: `30 1 * * * minzheng payroll expire --month YYYY-MM` of the next month)
    "benefits-phase-out-expire": {"task": "minzheng.benefits.phase_out_expire", "schedule": crontab(hour=1, minute=30)},
    # overdue hazards of the supervision engine marked, the county alerted and escalated, daily at
    # 01:15 (embedded default: `15 1 * * * minzheng supervision overdue`)
    "supervision-hazards-overdue": {
        "task": "minzheng.supervision.hazards_overdue",
        "schedule": crontab(hour=1, minute=15),
    },
    # lists (名录) of the supervision engine: entries moved to another list and due removals, daily at
    # 00:45 (embedded default: `45 0 * * * minzheng supervision lists-daily`)
    "supervision-listings-daily": {
        "task": "minzheng.supervision.listings_daily",
        "schedule": crontab(hour=0, minute=45),
    },
    # jobs whose worker died (lease expired): re-queued or marked failed, every lease
    "jobs-reap": {"task": "minzheng.jobs.reap", "schedule": MINZHENG_JOBS_LEASE_SECONDS},
}
