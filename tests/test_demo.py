"""`vrisac demo`: realistic, covering every kind, label and audience, and idempotent."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from vrisac.accounts.models import User
from vrisac.reports.models import Comment, Report


def counts() -> dict[str, int]:
    from django.apps import apps

    return {m._meta.label: m._default_manager.count() for m in apps.get_models()
            if m._meta.app_label in {"accounts", "organisations", "reports", "resilience",
                                     "knowledge", "intel", "advisories", "assets", "alerts"}}


@pytest.mark.django_db
def test_demo_covers_the_platform_and_is_idempotent(capsys: Any) -> None:
    call_command("demo")
    out = capsys.readouterr().out
    assert "Demo logins" in out and "VR-ISAC-demo-2026!" in out
    first = counts()
    call_command("demo", "--quiet")
    assert counts() == first
    capsys.readouterr()
    reports = Report.objects.all()
    assert set(reports.values_list("kind", flat=True)) == {
        "incident", "threat", "vulnerability", "advice", "warning"}
    assert set(reports.values_list("tlp", flat=True)) == {
        "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}
    assert set(reports.values_list("audience", flat=True)) == {
        "organisation", "organisations", "people", "participants", "partners", "public"}
    assert set(reports.values_list("status", flat=True)) == {"draft", "published", "retracted"}
    assert reports.filter(anonymous=True).exists()
    assert Comment.objects.count() >= 4
    people = User.objects.filter(is_demo=True)
    assert people.count() >= 9
    call_command("totp", "--email", people.first().email)  # type: ignore[union-attr]
    assert capsys.readouterr().out.strip().isdigit()


@pytest.mark.django_db
def test_demo_if_empty_does_nothing_on_a_used_platform(capsys: Any) -> None:
    call_command("demo", "--quiet")
    before = counts()
    Report.objects.filter(status="draft").delete()
    call_command("demo", "--if-empty", "--quiet")
    assert counts() != before  # nothing was reloaded
