"""Settings for the test suite: fast hashing, in-memory cache, mail kept in memory."""

from .base import *  # noqa: F403
from .base import DATA_DIR, DATABASES, STATIC_ROOT

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
          "counters": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                       "LOCATION": "counters"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                     "QUEUES": ["default", "imports", "notifications"]}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# WhiteNoise warns once per test server when the collected-static folder is missing; the
# tests serve static files from the apps, so an empty folder is all it needs.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that threads of the live server and concurrency tests share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
LOGGING = {"version": 1, "disable_existing_loggers": False}
