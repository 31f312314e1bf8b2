"""``vrisac check`` reports a bad contact-form setting before anything is served."""

from __future__ import annotations

from typing import Any

from django.core import checks

from config import env

from .conf import contact_settings


@checks.register(checks.Tags.compatibility)
def contact_settings_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        contact_settings()
    except env.ImproperlyConfiguredEnv as exc:
        return [checks.Error(str(exc), id="knowledge.E001",
                             hint="See docs/knowledge.md, section Configuration.")]
    return []
