"""How many examples a property test draws, scaled by the hypothesis profile in force."""

from __future__ import annotations

from hypothesis import settings

#: The draws of the suite's default profile (tests/conftest.py), against which a test's own
#: count is written.
_DEFAULT_EXAMPLES = settings.get_profile("leadmatch").max_examples


def examples(count: int) -> int:
    """``count`` under the default profile; ten times as many under ``thorough``, a fifth under
    ``mutation``, so that a test that sets its own count still follows the run's budget."""
    return max(1, count * settings.default.max_examples // _DEFAULT_EXAMPLES)
