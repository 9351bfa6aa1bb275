"""Test-wide settings: Hypothesis runs derandomized (same examples every run) so CI is repeatable, and the
service keeps its short links in a throwaway directory instead of the user's data directory."""

import os
import tempfile

from hypothesis import HealthCheck, settings

os.environ.setdefault("NORMLENS_DATA_DIR", tempfile.mkdtemp(prefix="normlens-test-data-"))

settings.register_profile(
    "normlens", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("normlens")
