"""The e-mail face of the confidentiality proof over a real SMTP server (aiosmtpd): the
real notification path (publishing through the service, the job on commit, SMTP), one
report in every audience, and each person's mailbox held to the sharing rules."""

from __future__ import annotations

from email.message import Message
from typing import Any

import pytest

from vrisac.core.testing import make_report, organisation

from .world import MARKER


def _text(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return f"{message['Subject']}\n{payload.decode()}"


#: (audience, label, named organisations, named people) -> who receives a mail.
CASES = [
    ("participants", "TLP:AMBER", (), (), {"utrecht2", "haaglanden", "vnog", "coordinator"}),
    ("partners", "TLP:GREEN", (), (), {"utrecht2", "haaglanden", "vnog", "coordinator",
                                       "partner"}),
    ("organisation", "TLP:GREEN", (), (), {"utrecht2"}),
    ("organisations", "TLP:AMBER+STRICT", ("haaglanden",), (), {"utrecht2", "haaglanden"}),
    ("people", "TLP:RED", (), ("vnog", "partner"), {"vnog", "partner"}),
    ("public", "TLP:CLEAR", (), (), {"utrecht2", "haaglanden", "vnog", "coordinator",
                                     "partner", "observer", "admin"}),
]


@pytest.mark.django_db
@pytest.mark.smtp
def test_every_mailbox_holds_exactly_what_the_rules_allow(
        people: dict[str, Any], smtp_server: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    reports = []
    for n, (audience, tlp, orgs, named, _who) in enumerate(CASES):
        with django_capture_on_commit_callbacks(execute=True):
            reports.append(make_report(
                people["utrecht"], kind="incident", tlp=tlp, audience=audience,
                title=f"Melding kwxr{n}q", summary=f"kwxs{n}q",
                audience_organisations=[organisation(s) for s in orgs],
                audience_people=[people[k] for k in named]))
    assert smtp_server.messages, "nothing was sent over SMTP"
    for key, person in people.items():
        mailbox = [_text(m) for m in smtp_server.messages if person.email in m["To"]]
        linked = {n for n, report in enumerate(reports)
                  if any(f"/reports/{report.pk}/" in text for text in mailbox)}
        expected = {n for n, case in enumerate(CASES) if key in case[4]}
        assert linked == expected, key
        texts = {int(num) for text in mailbox for kind, num, _ in MARKER.findall(text)}
        assert texts <= expected, key
        red = {n for n, case in enumerate(CASES) if case[1] == "TLP:RED"}
        assert not texts & red, (key, "TLP:RED text in an e-mail")
