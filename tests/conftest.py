"""Test-wide settings: Hypothesis runs derandomized (same examples every run) so CI is repeatable."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "normlens", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("normlens")
