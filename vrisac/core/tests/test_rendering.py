"""The faster ways lists render dates, links and choice labels say exactly what Django's
own filters, ``reverse()`` and ``get_FOO_display()`` say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.template.defaultfilters import date as date_filter
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from vrisac.core.paths import object_path
from vrisac.reports.models import Report
from vrisac.sharing.models import Audience, Status
from vrisac.sharing.tlp import TLP


@pytest.mark.parametrize("language", ["nl", "en"])
def test_when_writes_what_the_date_filter_writes(language: str) -> None:
    start = datetime(2026, 1, 1, 0, 7, tzinfo=UTC)
    moments = [start + timedelta(days=31 * n, hours=5 * n, minutes=13 * n) for n in range(14)]
    # Around the change to and from summer time in Amsterdam, and at midnight.
    moments += [datetime(2026, 3, 29, 0, 59, tzinfo=UTC),
                datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
                datetime(2026, 10, 25, 0, 59, tzinfo=UTC),
                datetime(2026, 12, 31, 23, 0, tzinfo=UTC)]
    ours = Template("{% load vrisac %}{{ moment|when }}")
    with translation.override(language), timezone.override("Europe/Amsterdam"):
        for moment in moments:
            expected = date_filter(timezone.localtime(moment), "j M Y H:i")
            assert ours.render(Context({"moment": moment})) == expected, moment
        assert ours.render(Context({"moment": None})) == ""
        assert ours.render(Context({"moment": ""})) == ""


@pytest.mark.parametrize("name", ["reports:detail", "intel:indicator", "intel:feed"])
def test_object_path_is_the_reversed_url(name: str) -> None:
    for pk in (1, 7, 10, 12345, 9_007_199_254_740_993):
        assert object_path(name, pk) == reverse(name, args=[pk])
    template = Template("{% load vrisac %}{{ pk|path:name }}")
    assert template.render(Context({"pk": 42, "name": name})) == reverse(name, args=[42])
    assert template.render(Context({"pk": None, "name": name})) == ""


def test_object_path_refuses_a_url_without_one_key() -> None:
    with pytest.raises((ValueError, NoReverseMatch)):
        object_path("core:dashboard", 1)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_choice_labels_are_djangos(language: str) -> None:
    from django.db.models import Model

    fields = {"kind": Report.Kind.values, "tlp": TLP.values, "audience": Audience.values,
              "status": Status.values}
    with translation.override(language):
        for name, values in fields.items():
            field = Report._meta.get_field(name)
            for value in [*values, "not-a-choice"]:
                report = Report(**{name: value})
                ours = getattr(report, f"get_{name}_display")()
                djangos = Model._get_FIELD_display(report, field)  # type: ignore[attr-defined]
                assert ours == djangos, (name, value)
