"""The anonymisation tests share the demo load of tests/tools/test_demo.py (loaded once per module)."""

from tests.tools.test_demo import _demo_once, demo  # noqa: F401  # fixtures
