"""The suite runs the same on a laptop as in CI: hypothesis draws the same examples everywhere
(whatever profile is chosen), keeps no database between runs, and has no deadline."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.budget import examples

DRAWN: list[int] = []


def test_every_profile_is_derandomized_without_database_or_deadline() -> None:
    for name in ("leadmatch", "thorough", "mutation"):
        profile = settings.get_profile(name)
        assert (profile.derandomize, profile.database, profile.deadline) == (True, None, None)
        assert HealthCheck.too_slow in profile.suppress_health_check
    assert settings.default.derandomize and settings.default.database is None


@settings(max_examples=5)
@given(st.integers())
def _draw(value: int) -> None:
    DRAWN.append(value)


def test_two_runs_draw_the_same_examples() -> None:
    _draw()
    first = DRAWN[:]
    DRAWN.clear()
    _draw()
    assert first == DRAWN and len(first) == 5


def test_a_tests_own_count_follows_the_profile() -> None:
    try:
        counts = {}
        for name in ("leadmatch", "thorough", "mutation"):
            settings.load_profile(name)
            counts[name] = (examples(150), examples(3))
    finally:
        settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "leadmatch"))  # as conftest
    assert counts == {"leadmatch": (150, 3), "thorough": (1500, 30), "mutation": (30, 1)}
