"""The contact form's settings, read from the environment through ``config.env``.

They are read when used (cheap), so an operator's change needs only a restart, and a bad
value is reported by ``vrisac check`` (see ``checks.py``) before anything is served.

=====================================  =======  ==============================================
variable                               default  meaning
=====================================  =======  ==============================================
VRISAC_CONTACT_RETENTION_MONTHS        12       questions are deleted this long after receipt
VRISAC_CONTACT_MIN_SECONDS             3        a form sent sooner after loading is a robot's
                                                (0 to 3: a quick person must never be refused)
VRISAC_CONTACT_MAX_POSTS               5        posts accepted from one address per window
VRISAC_CONTACT_WINDOW_MINUTES          60       the rate-limit window
VRISAC_CONTACT_FORM_HOURS              24       how long a loaded form may be sent
VRISAC_CONTACT_NOTIFY                  (none)   extra addresses told of a new question
                                                (comma-separated; coordinators always are)
VRISAC_CONTACT_REPLY_TO                (none)   Reply-To of the answers sent to visitors
=====================================  =======  ==============================================
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from config import env

MAX_MIN_SECONDS = 3


@dataclass(frozen=True)
class ContactSettings:
    retention_months: int
    min_seconds: int
    max_posts: int
    window_minutes: int
    form_hours: int
    notify: tuple[str, ...]
    reply_to: str


def contact_settings() -> ContactSettings:
    """The current settings; raises ``env.ImproperlyConfiguredEnv`` naming a bad variable."""
    values = ContactSettings(
        retention_months=env.get_int("VRISAC_CONTACT_RETENTION_MONTHS", 12),
        min_seconds=env.get_int("VRISAC_CONTACT_MIN_SECONDS", MAX_MIN_SECONDS),
        max_posts=env.get_int("VRISAC_CONTACT_MAX_POSTS", 5),
        window_minutes=env.get_int("VRISAC_CONTACT_WINDOW_MINUTES", 60),
        form_hours=env.get_int("VRISAC_CONTACT_FORM_HOURS", 24),
        notify=tuple(a.lower() for a in env.get_list("VRISAC_CONTACT_NOTIFY")),
        reply_to=(env.get("VRISAC_CONTACT_REPLY_TO") or "").strip(),
    )
    _check(values)
    return values


def _check(values: ContactSettings) -> None:
    def bad(name: str, rule: str, value: object) -> env.ImproperlyConfiguredEnv:
        return env.ImproperlyConfiguredEnv(f"{name} must be {rule}, not {value!r}")

    if not 1 <= values.retention_months <= 120:
        raise bad("VRISAC_CONTACT_RETENTION_MONTHS", "between 1 and 120",
                  values.retention_months)
    if not 0 <= values.min_seconds <= MAX_MIN_SECONDS:
        raise bad("VRISAC_CONTACT_MIN_SECONDS", f"between 0 and {MAX_MIN_SECONDS}",
                  values.min_seconds)
    if values.max_posts < 1:
        raise bad("VRISAC_CONTACT_MAX_POSTS", "at least 1", values.max_posts)
    if not 1 <= values.window_minutes <= 7 * 24 * 60:
        raise bad("VRISAC_CONTACT_WINDOW_MINUTES", "between 1 and 10080", values.window_minutes)
    if not 1 <= values.form_hours <= 7 * 24:
        raise bad("VRISAC_CONTACT_FORM_HOURS", "between 1 and 168", values.form_hours)
    for name, addresses in (("VRISAC_CONTACT_NOTIFY", values.notify),
                            ("VRISAC_CONTACT_REPLY_TO", (values.reply_to,) if values.reply_to
                             else ())):
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise bad(name, "e-mail addresses", address) from None
