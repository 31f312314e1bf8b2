"""The credentials of remote collections, encrypted at rest.

A password or token is sealed with the platform's attachment keys (AES-GCM, see
``vrisac.reports.attachments.keys``): the newest key seals, any configured key opens, so the
operator's key rotation covers these secrets too. The clear text lives only in memory while
a pull runs; pages never show it again and it is never written to a log or the audit.
"""

from __future__ import annotations

import base64
import os

from django.utils.translation import gettext as _

from vrisac.core.errors import DomainError
from vrisac.reports.attachments import keys

_PREFIX = "v1:"
_AAD = b"vrisac taxii client secret"


def seal(clear: str) -> str:
    available = keys()
    if not available:
        raise DomainError(_("No encryption key is configured (VRISAC_ATTACHMENT_KEYS), so the "
                            "secret cannot be stored."), field="secret")
    key = available[0]
    nonce = os.urandom(12)
    sealed = key.id + nonce + key.aead.encrypt(nonce, clear.encode(), _AAD)
    return _PREFIX + base64.urlsafe_b64encode(sealed).decode()


def unseal(stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(_PREFIX):
        raise DomainError(_("The stored secret is not readable; enter it again."))
    raw = base64.urlsafe_b64decode(stored[len(_PREFIX):].encode())
    key_id, nonce, body = raw[:4], raw[4:16], raw[16:]
    for key in keys():
        if key.id == key_id:
            return key.aead.decrypt(nonce, body, _AAD).decode()
    raise DomainError(_("The key that sealed this collection's secret is no longer "
                        "configured; enter the secret again."))
