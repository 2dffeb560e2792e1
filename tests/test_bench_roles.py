"""The mix of ``bench load`` gives every role a user, then the roles by weight."""

from __future__ import annotations

from collections import Counter

from connectences.bench.roles import role_order

WEIGHTS = {"animateur": 48, "public": 11, "operator": 6, "api": 4, "territoire": 2}


def test_every_role_has_a_user_as_soon_as_there_are_enough():
    order = role_order(WEIGHTS, 16)
    assert len(order) == 16
    assert set(order[:5]) == set(WEIGHTS)
    assert order[0] == "animateur"  # the heaviest first
    counts = Counter(order)
    assert counts["animateur"] > counts["public"] > counts["territoire"] >= 1


def test_many_users_share_the_roles_in_proportion():
    counts = Counter(role_order(WEIGHTS, 7_100))
    total = sum(WEIGHTS.values())
    for role, weight in WEIGHTS.items():
        assert abs(counts[role] / 7_100 - weight / total) < 0.01, role


def test_fewer_users_than_roles_take_the_heaviest():
    assert role_order(WEIGHTS, 2) == ["animateur", "public"]
    assert role_order(WEIGHTS, 0) == []
    assert role_order({"a": 0, "b": 3}, 3) == ["b", "b", "b"]
