"""Demo people: participants in several regions, a coordinator, a partner, the owner's
observer and an administrator, each with an authenticator app and recovery codes."""

from __future__ import annotations

import base64
import hashlib

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction

from vrisac.accounts.models import User
from vrisac.core.demo import DEMO_PASSWORD, DemoContext, demo_step

from .models import Membership, Organisation
from .services import invitation_accept, membership_invite

#: key, e-mail, name, organisation slug, role
PEOPLE = [
    ("coordinator", "sanne.devries@nipv.vrisac.example", "Sanne de Vries", "nipv", "coordinator"),
    ("utrecht", "pieter.jansen@utrecht.vrisac.example", "Pieter Jansen", "utrecht",
     "participant"),
    ("utrecht2", "fatima.elamrani@utrecht.vrisac.example", "Fatima El Amrani", "utrecht",
     "participant"),
    ("haaglanden", "joost.bakker@haaglanden.vrisac.example", "Joost Bakker", "haaglanden",
     "participant"),
    ("vnog", "marieke.visser@vnog.vrisac.example", "Marieke Visser",
     "noord-en-oost-gelderland", "participant"),
    ("rotterdam", "thomas.deboer@rotterdam.vrisac.example", "Thomas de Boer",
     "rotterdam-rijnmond", "participant"),
    ("twente", "anouk.hendriks@twente.vrisac.example", "Anouk Hendriks", "twente",
     "participant"),
    ("ncsc", "lotte.smit@ncsc.vrisac.example", "Lotte Smit", "ncsc", "partner"),
    ("observer", "hans.mulder@veiligheidsberaad.vrisac.example", "Hans Mulder",
     "veiligheidsberaad", "observer"),
    ("admin", "kees.vandijk@veiligheidsberaad.vrisac.example", "Kees van Dijk",
     "veiligheidsberaad", "admin"),
]


def _secret_for(email: str) -> str:
    # Stable per demo person, so that a reloaded demo keeps working in an authenticator app.
    return base64.b32encode(hashlib.sha256(f"vrisac-demo:{email}".encode()).digest()[:20]).decode()


@demo_step(order=10)
@transaction.atomic
def people(ctx: DemoContext) -> None:
    made = 0
    for key, email, name, slug, role in PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None or not Membership.objects.current().filter(user=user).exists():
            invitation = membership_invite(
                organisation=Organisation.objects.get(slug=slug), email=email, name=name,
                role=role, send_email=False,
            )
            user = invitation_accept(raw_token=invitation.raw_token, password=DEMO_PASSWORD)
            made += 1
        if not user.is_demo:
            user.is_demo = True
            # The administrator also runs the Django admin (which holds no report contents).
            user.is_staff = user.is_superuser = role == "admin"
            user.save(update_fields=["is_demo", "is_staff", "is_superuser"])
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, _secret_for(email))
            RecoveryCodes.activate(user)
        ctx.people[key] = user
    ctx.log(f"demo people: {made} new, {len(PEOPLE) - made} already there")
