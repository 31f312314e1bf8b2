"""Settings shared by every environment. Values an operator may change come from config.env."""

from __future__ import annotations

from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config import env

BASE_DIR = env.BASE_DIR
DATA_DIR = env.data_dir()

SECRET_KEY = env.get("VRISAC_SECRET_KEY", "local-only-insecure-key-never-used-in-production")
#: Earlier keys, still accepted for signatures made with them (sessions, links) while a new
#: VRISAC_SECRET_KEY takes over; see "Rotating secrets" in docs/operations.md.
SECRET_KEY_FALLBACKS = env.get_list("VRISAC_SECRET_KEY_FALLBACKS", [])
DEBUG = env.get_bool("VRISAC_DEBUG", False)
ALLOWED_HOSTS = env.get_list("VRISAC_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.get_list("VRISAC_CSRF_TRUSTED_ORIGINS", [])

#: The address people use to reach the platform; links in e-mail and invitations start here.
SITE_URL = (env.get("VRISAC_SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "django_htmx",
    "vrisac.core",
    "vrisac.accounts",
    "vrisac.organisations",
    "vrisac.sharing",
    "vrisac.reports",
    "vrisac.notifications",
    "vrisac.intel",
    "vrisac.advisories",
    "vrisac.assets",
    "vrisac.alerts",
    "vrisac.resilience",
    "vrisac.knowledge",
    "vrisac.ops",
    "vrisac.interop.stix",
    "vrisac.interop.taxii",
    "vrisac.interop.taxii_client",
    "vrisac.api",
    "vrisac.interop.misp",
]

MIDDLEWARE = [
    "vrisac.core.middleware.RequestIdMiddleware",
    "vrisac.ops.middleware.OperationsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "vrisac.core.middleware.NulGuardMiddleware",
    "vrisac.accounts.middleware.SessionTimeoutMiddleware",
    "vrisac.accounts.middleware.MFARequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "vrisac" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "vrisac.core.context_processors.platform",
            ],
        },
    },
]


def database_config(url: str | None) -> dict[str, Any]:
    """SQLite in the data folder unless DATABASE_URL says otherwise.

    SQLite runs in WAL mode with IMMEDIATE transactions: the web server and the worker write
    at once, and read-then-write transactions (the seat limit, the audit chain) must not
    interleave.
    """
    if not url:
        url = f"sqlite:///{DATA_DIR / 'vrisac.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=30000;"
                "PRAGMA temp_store=MEMORY;"
                "PRAGMA mmap_size=268435456;"
                "PRAGMA cache_size=-65536;"
            ),
        }
    # Connections are kept between requests (per web thread): opening one per request cost
    # a tenth of the web server's time under load (and on SQLite a cold page cache each time).
    config["CONN_MAX_AGE"] = env.get_int("VRISAC_DB_CONN_MAX_AGE", 60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": database_config(env.get("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_redis_url = env.get("VRISAC_REDIS_URL")
CACHES: dict[str, dict[str, Any]]
if _redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
        },
        "counters": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
            "KEY_PREFIX": "counters",
        },
    }
else:
    CACHES = {
        # Shared by every web process and the worker (login lockout, token failures, cached
        # figures), no extra service.
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "vrisac_cache",
        },
        # Written on every API call (each token's request history for its rate limit): files,
        # shared by the web processes, not the database, whose one writer at a time is often
        # an import holding it for a batch (an API call then waited for the batch).
        "counters": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "counters"),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        },
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "account_login"

# --- django-allauth: invitation only, e-mail login, TOTP with recovery codes required. ---
ACCOUNT_ADAPTER = "vrisac.accounts.adapters.AccountAdapter"
MFA_ADAPTER = "vrisac.accounts.adapters.MFAAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
# A new address is confirmed with a code sent to it (also what MFA-protected accounts need).
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
# Failed logins back off (vrisac.accounts.throttle) per account and per address together:
# past the limit each further failure doubles the wait, from LOGIN_LOCKOUT_SECONDS up to
# LOGIN_LOCKOUT_MAX_SECONDS. The account's back-off holds for unknown devices only: a browser
# where the person logged in with their second factor before (a signed "known device" cookie)
# has a back-off of its own, and a password reset by e-mail lifts the account's.
LOGIN_FAILURES_PER_ACCOUNT = env.get_int("VRISAC_LOGIN_ATTEMPTS_LIMIT", 5)
LOGIN_FAILURES_PER_ADDRESS = env.get_int("VRISAC_LOGIN_ATTEMPTS_PER_ADDRESS", 20)
LOGIN_LOCKOUT_SECONDS = env.get_int("VRISAC_LOGIN_LOCKOUT_SECONDS", 60)
LOGIN_LOCKOUT_MAX_SECONDS = env.get_int("VRISAC_LOGIN_LOCKOUT_MAX_SECONDS", 24 * 3600)
#: Failures older than this are forgotten.
LOGIN_FAILURE_MEMORY_SECONDS = 24 * 3600
VRISAC_KNOWN_DEVICE_DAYS = env.get_int("VRISAC_KNOWN_DEVICE_DAYS", 180)
VRISAC_KNOWN_DEVICE_COOKIE = "vrisac_device"
ACCOUNT_RATE_LIMITS = {
    # Replaced by the back-off above (the adapter's pre_authenticate).
    "login_failed": None,
    "login": "30/m/ip",
    "reset_password": "10/m/ip,3/m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[VR-ISAC] "
# The person is told by e-mail when their password, address or second factor changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "VR-ISAC"
MFA_REAUTHENTICATION_REQUIRED = True
MFA_RECOVERY_CODE_COUNT = 10
MFA_TOTP_TOLERANCE = 1  # one period either side: phones drift

# --- Sessions: idle and absolute time-outs. ---
SESSION_IDLE_TIMEOUT = env.get_int("VRISAC_SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_TIMEOUT = env.get_int("VRISAC_SESSION_ABSOLUTE_HOURS", 10) * 3600
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_SAVE_EVERY_REQUEST = False  # renewed by vrisac.accounts.middleware (once a minute)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_NAME = "vrisac_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

# --- Security headers. ---
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- Internationalisation: Dutch first, English second; no language prefix in URLs. ---
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 3600

# Attachments live outside the web root and are served only through a permission check.
ATTACHMENT_ROOT = DATA_DIR / "attachments"
ATTACHMENT_MAX_BYTES = env.get_int("VRISAC_ATTACHMENT_MAX_MB", 20) * 1024 * 1024
# Attachments are encrypted at rest (AES-256-GCM). Keys, newest first, comma-separated; the
# embedded default keeps a generated key in the data folder, production requires the variable.
VRISAC_ATTACHMENT_KEYS = env.get_list("VRISAC_ATTACHMENT_KEYS", [])
VRISAC_ATTACHMENT_KEY_FILE_ALLOWED = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- E-mail. ---
_email = env.email_config(env.get("VRISAC_EMAIL_URL"))
EMAIL_BACKEND = _email.backend
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_TIMEOUT = _email.timeout
DEFAULT_FROM_EMAIL = env.get("VRISAC_EMAIL_FROM", "VR-ISAC <noreply@vr-isac.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background jobs: Django's Tasks framework with the database-backed worker. ---
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "imports", "notifications"],
    }
}

# --- Platform rules. ---
VRISAC_SEATS_PER_ORGANISATION = 2
VRISAC_INVITATION_DAYS = env.get_int("VRISAC_INVITATION_DAYS", 14)
VRISAC_TOKEN_DEFAULT_DAYS = env.get_int("VRISAC_TOKEN_DEFAULT_DAYS", 365)
#: Token use is audited at most once per token in this many seconds.
VRISAC_TOKEN_USE_AUDIT_SECONDS = 300
#: Wrong API tokens from one address before every token from it is refused for a while.
VRISAC_TOKEN_FAILURES_PER_ADDRESS = env.get_int("VRISAC_TOKEN_FAILURES_PER_ADDRESS", 30)
VRISAC_TOKEN_LOCKOUT_SECONDS = env.get_int("VRISAC_TOKEN_LOCKOUT_SECONDS", 15 * 60)
#: A second-factor reset or an e-mail change an administrator asked for waits this long for
#: the person to confirm it.
VRISAC_ACCOUNT_CHANGE_HOURS = 72
VRISAC_TRUST_X_FORWARDED_FOR = env.get_bool("VRISAC_TRUST_X_FORWARDED_FOR", False)
#: Outbound fetches (feeds, advisories, TAXII) refuse non-public addresses unless allowed here.
VRISAC_FETCH_ALLOW_PRIVATE = env.get_bool("VRISAC_FETCH_ALLOW_PRIVATE", False)
VRISAC_FETCH_ALLOWED_HOSTS = env.get_list("VRISAC_FETCH_ALLOWED_HOSTS", [])
#: The certificate authorities https fetches trust (a PEM file); empty: certifi's bundle.
VRISAC_FETCH_CA_BUNDLE = env.get("VRISAC_FETCH_CA_BUNDLE", "") or ""

# --- Operations: scheduler, heartbeats, health, metrics, backups, retention (docs/operations.md).
#: A running job stamps its heartbeat this often; one silent for VRISAC_JOB_STALE_SECONDS
#: lost its worker and is queued again, up to VRISAC_JOB_MAX_ATTEMPTS runs, then failed.
VRISAC_JOB_HEARTBEAT_SECONDS = env.get_int("VRISAC_JOB_HEARTBEAT_SECONDS", 15)
VRISAC_JOB_STALE_SECONDS = env.get_int("VRISAC_JOB_STALE_SECONDS", 120)
VRISAC_JOB_MAX_ATTEMPTS = env.get_int("VRISAC_JOB_MAX_ATTEMPTS", 3)
#: Workers and schedulers say they are alive this often; /readyz wants one seen recently.
VRISAC_PROCESS_HEARTBEAT_SECONDS = env.get_int("VRISAC_PROCESS_HEARTBEAT_SECONDS", 15)
VRISAC_READY_HEARTBEAT_SECONDS = env.get_int("VRISAC_READY_HEARTBEAT_SECONDS", 90)
#: A scheduler starting after a gap runs the latest slot it missed, when that is this recent.
VRISAC_SCHEDULER_CATCH_UP_HOURS = env.get_int("VRISAC_SCHEDULER_CATCH_UP_HOURS", 6)
#: /metrics answers only with this bearer token; without it, /metrics is switched off (404).
VRISAC_METRICS_TOKEN = env.get("VRISAC_METRICS_TOKEN")
VRISAC_METRICS_DIR = env.metrics_dir()
VRISAC_BACKUP_DIR = env.backup_dir()
VRISAC_BACKUP_KEEP_DAILY = env.get_int("VRISAC_BACKUP_KEEP_DAILY", 7)
VRISAC_BACKUP_KEEP_WEEKLY = env.get_int("VRISAC_BACKUP_KEEP_WEEKLY", 4)
VRISAC_BACKUP_KEEP_MONTHLY = env.get_int("VRISAC_BACKUP_KEEP_MONTHLY", 12)
#: Days kept, per kind of data (docs/privacy.md); the clean-up runs daily.
VRISAC_RETENTION_AUDIT_DAYS = env.get_int("VRISAC_RETENTION_AUDIT_DAYS", 1095)
VRISAC_RETENTION_JOB_DAYS = env.get_int("VRISAC_RETENTION_JOB_DAYS", 90)
VRISAC_RETENTION_NOTIFICATION_DAYS = env.get_int("VRISAC_RETENTION_NOTIFICATION_DAYS", 365)
VRISAC_RETENTION_INDICATOR_DAYS = env.get_int("VRISAC_RETENTION_INDICATOR_DAYS", 365)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "vrisac.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "vrisac.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env.get("VRISAC_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The scheduler's own chatter; the claims it makes are logged by vrisac.ops.
        "apscheduler": {"level": "WARNING"},
    },
}

# --- Warnings: advisory and vulnerability feeds for the worker's schedule. Each feature is
# off (the scheduled job logs so) while its URLs are unset; see docs/warnings.md. ---
VRISAC_CSAF_PROVIDER_URLS = env.get_list("VRISAC_CSAF_PROVIDER_URLS")
VRISAC_NVD_URLS = env.get_list("VRISAC_NVD_URLS")
VRISAC_NVD_API_KEY = env.get("VRISAC_NVD_API_KEY", "") or ""
VRISAC_CVE5_URLS = env.get_list("VRISAC_CVE5_URLS")
VRISAC_KEV_URLS = env.get_list("VRISAC_KEV_URLS")
VRISAC_EPSS_URLS = env.get_list("VRISAC_EPSS_URLS")
#: The work one PDF may cost when its text is read for extraction (the page, the API,
#: `vrisac extract`), in a process of its own (vrisac/intel/pdftext.py): decompressed page
#: content in all, a page that repeats a stream counting it again, and processor seconds.
VRISAC_EXTRACT_PDF_CONTENT_MB = max(1, env.get_int("VRISAC_EXTRACT_PDF_CONTENT_MB", 20))
VRISAC_EXTRACT_PDF_CPU_SECONDS = max(1, env.get_int("VRISAC_EXTRACT_PDF_CPU_SECONDS", 3))
#: Size limits per imported file, in MB.
VRISAC_IMPORT_MAX_MB = {
    "csaf": env.get_int("VRISAC_CSAF_MAX_MB", 20),
    "nvd": env.get_int("VRISAC_NVD_MAX_MB", 4096),
    "cve5": 50,
    "cve5_zip": env.get_int("VRISAC_CVE5_ZIP_MAX_MB", 2048),
    "kev": 50,
    "epss": env.get_int("VRISAC_EPSS_MAX_MB", 500),
    "csv": env.get_int("VRISAC_INVENTORY_MAX_MB", 10),
}
