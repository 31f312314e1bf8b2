"""Hypothesis profiles of the assurance tests: a fast one for every test run, a long one for
``make assurance`` (``VRISAC_HYPOTHESIS_PROFILE=assurance``).

The profile is applied as a decorator to the assurance tests only, so that loading it never
changes how many examples the other apps' property tests try."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large, HealthCheck.filter_too_much,
            HealthCheck.large_base_example]

settings.register_profile("ci", max_examples=12, deadline=None, derandomize=False,
                          suppress_health_check=_SLOW_OK, print_blob=True)
settings.register_profile("assurance", max_examples=400, deadline=None,
                          suppress_health_check=_SLOW_OK, print_blob=True)

PROFILE_NAME = os.environ.get("VRISAC_HYPOTHESIS_PROFILE", "ci")
FUZZ = settings.get_profile(PROFILE_NAME)
LONG = PROFILE_NAME == "assurance"
