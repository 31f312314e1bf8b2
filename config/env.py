"""The one reader of the process environment.

Every setting that an operator may change comes from an environment variable read here, so
that ``docs/operations.md`` can list them all and nothing else in the code touches
``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("local", "production", "test")


class ImproperlyConfiguredEnv(RuntimeError):
    """A required environment variable is missing or malformed."""


def get(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def require(name: str) -> str:
    value = get(name)
    if value is None:
        raise ImproperlyConfiguredEnv(
            f"{name} is required in production settings and is not set; see docs/operations.md"
        )
    return value


def get_bool(name: str, default: bool = False) -> bool:
    value = get(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfiguredEnv(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def get_int(name: str, default: int) -> int:
    value = get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"{name} must be an integer, not {value!r}") from exc


def get_list(name: str, default: list[str] | None = None) -> list[str]:
    value = get(name)
    if value is None:
        return list(default or [])
    return [part.strip() for part in value.split(",") if part.strip()]


def environment() -> str:
    """local (the embedded default), production or test."""
    value = get("VRISAC_ENV", "local") or "local"
    if value not in ENVIRONMENTS:
        raise ImproperlyConfiguredEnv(f"VRISAC_ENV must be one of {', '.join(ENVIRONMENTS)}")
    return value


def settings_module() -> str:
    return f"config.settings.{environment()}"


def data_dir() -> Path:
    """Where the embedded default keeps its database, mail, attachments and backups."""
    return Path(get("VRISAC_DATA_DIR") or BASE_DIR / "var")


def metrics_dir() -> Path:
    """Where the web processes keep their request counters, so that /metrics adds up every
    process of a node (prometheus_client's multiprocess mode)."""
    return Path(get("PROMETHEUS_MULTIPROC_DIR") or data_dir() / "metrics")


def backup_dir() -> Path:
    return Path(get("VRISAC_BACKUP_DIR") or data_dir() / "backups")


def export_metrics_dir() -> Path:
    """Point prometheus_client at the metrics folder before it is imported (it reads
    ``PROMETHEUS_MULTIPROC_DIR`` itself); called by the web server's configuration."""
    path = metrics_dir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = ""
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    timeout: int = 20


def email_config(url: str | None) -> EmailConfig:
    """Parse ``VRISAC_EMAIL_URL`` (``smtp://user:pass@host:587?tls=1``, ``smtps://...``).

    Without it, mail is written to files in the data folder so that nothing fails.
    """
    if not url:
        return EmailConfig(backend="django.core.mail.backends.filebased.EmailBackend")
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps"):
        raise ImproperlyConfiguredEnv("VRISAC_EMAIL_URL must start with smtp:// or smtps://")
    query = parse_qs(parsed.query)
    use_ssl = parsed.scheme == "smtps" or query.get("ssl", ["0"])[0] in ("1", "true")
    use_tls = query.get("tls", ["0"])[0] in ("1", "true")
    return EmailConfig(
        backend="django.core.mail.backends.smtp.EmailBackend",
        host=parsed.hostname or "localhost",
        port=parsed.port or (465 if use_ssl else 25),
        user=unquote(parsed.username or ""),
        password=unquote(parsed.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
        timeout=int(query.get("timeout", ["20"])[0]),
    )
