"""The plan phase run through the queue with paid providers, then delivered again."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_second_delivery_changes_nothing_and_charges_nothing(run_twice):
    first, second = run_twice("plan")
    assert second == first
    assert first.attempts == 1
