"""The evaluation tests share the demo load of tests/core/test_demo.py (loaded once per module)."""

from tests.core.test_demo import _demo_once, demo  # noqa: F401  # fixtures
