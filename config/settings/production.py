"""Production: secrets from the environment, https only, fail fast when something is missing."""

from config import env

from .base import *  # noqa: F403
from .base import database_config

SECRET_KEY = env.require("VRISAC_SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise env.ImproperlyConfiguredEnv(
        "VRISAC_SECRET_KEY must be at least 50 characters with at least 5 different ones"
    )
ALLOWED_HOSTS = env.get_list("VRISAC_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise env.ImproperlyConfiguredEnv("VRISAC_ALLOWED_HOSTS is required in production settings")
DATABASES = {"default": database_config(env.require("DATABASE_URL"))}
DEBUG = False

SITE_URL = (env.get("VRISAC_SITE_URL") or f"https://{ALLOWED_HOSTS[0]}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.get_list("VRISAC_CSRF_TRUSTED_ORIGINS", [SITE_URL])

# No key file on disk in production: the keys come from the environment or uploads stay off.
VRISAC_ATTACHMENT_KEY_FILE_ALLOWED = False

SECURE_SSL_REDIRECT = env.get_bool("VRISAC_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers and the metrics scraper may talk plain http to a node on the inside network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-vrisac_session"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Host-vrisac_csrftoken"
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_NAME = "__Host-vrisac_language"
VRISAC_KNOWN_DEVICE_COOKIE = "__Host-vrisac_device"
MFA_TRUST_COOKIE_SECURE = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
