"""The territory's clock: days counted as Arcachon's clocks show them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectences import clock
from connectences.observatory.figures import _days_between

pytestmark = pytest.mark.engine_free


def test_a_day_across_a_change_of_time_is_one_day():
    # Saturday 28 March 2026, 10:00 in Arcachon (09:00 UTC); Sunday 29 March, 10:00 in
    # Arcachon after the spring change (08:00 UTC): 23 hours, one day on the clocks.
    received = datetime(2026, 3, 28, 9, tzinfo=UTC)
    answered = datetime(2026, 3, 29, 8, tzinfo=UTC)
    assert clock.wall_days(received, answered) == 1
    # 24 October 10:00 to 25 October 10:00, the autumn change between: 25 hours.
    assert (
        clock.wall_days(
            datetime(2026, 10, 24, 8, tzinfo=UTC), datetime(2026, 10, 25, 9, tzinfo=UTC)
        )
        == 1
    )
    # Naive instants are UTC, as stored.
    assert clock.wall_days(received.replace(tzinfo=None), answered.replace(tzinfo=None)) == 1
    assert clock.wall_days(received, datetime(2026, 3, 28, 21, tzinfo=UTC)) == 0.5


def test_the_observatory_s_delays_count_the_days_the_clocks_show():
    # The median of such steps read 0.96 days.
    assert (
        _days_between(datetime(2026, 3, 28, 9, tzinfo=UTC), datetime(2026, 3, 29, 8, tzinfo=UTC))
        == 1
    )
    assert (
        _days_between(datetime(2026, 3, 29, 8, tzinfo=UTC), datetime(2026, 3, 28, 9, tzinfo=UTC))
        == 0
    )
