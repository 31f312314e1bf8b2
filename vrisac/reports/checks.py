"""System checks for attachment storage: keys present and well-formed."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Info, register


@register()
def attachment_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from django.conf import settings

    from . import attachments

    messages: list[CheckMessage] = []
    for n, text in enumerate(settings.VRISAC_ATTACHMENT_KEYS, start=1):
        try:
            attachments._key_from_text(text)
        except ValueError as exc:
            messages.append(Error(f"VRISAC_ATTACHMENT_KEYS key {n}: {exc}", id="vrisac.E001"))
    if not settings.VRISAC_ATTACHMENT_KEYS and not settings.VRISAC_ATTACHMENT_KEY_FILE_ALLOWED:
        messages.append(Info(
            "Uploads of attachments and documents are off until VRISAC_ATTACHMENT_KEYS is set "
            "(make a key with `vrisac attachment_key new`).", id="vrisac.I001"))
    return messages
