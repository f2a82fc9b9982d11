"""How the report words its numbers."""

import pytest

from reporting.tables import days


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (0, "0 days"), (1, "1 day"), (1.0, "1 day"), (1.5, "1.5 days"), (2, "2 days")],
)
def test_days_are_singular_for_one(value, text):
    assert days(value) == text
