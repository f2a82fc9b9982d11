"""Busy versions: a token per group of people that changes when one of them is bumped."""

import pytest
from django.db import transaction

from programs.busy_versions import bump_busy_versions, busy_versions


@pytest.mark.django_db
def test_a_bump_changes_the_token_of_everyone_it_names(django_capture_on_commit_callbacks):
    before = busy_versions([1, 2])
    other = busy_versions([3])
    with django_capture_on_commit_callbacks(execute=True):
        bump_busy_versions([2])
    assert busy_versions([1, 2]) != before
    assert busy_versions([2, 1]) == busy_versions([1, 2])  # order does not matter
    assert busy_versions([3]) == other


@pytest.mark.django_db(transaction=True)
def test_a_bump_inside_a_transaction_waits_for_the_commit():
    before = busy_versions([7])
    with transaction.atomic():
        bump_busy_versions([7])
        assert busy_versions([7]) == before  # not visible before the data is
    assert busy_versions([7]) != before


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_bumps_nothing():
    before = busy_versions([8])
    with pytest.raises(RuntimeError), transaction.atomic():
        bump_busy_versions([8])
        raise RuntimeError("rolled back")
    assert busy_versions([8]) == before
