"""Which role each simulated user of ``bench load``'s mix takes (plain: no locust here).

Each user takes one role for its whole run (it logs in once). Drawn at random in
proportion to the roles' weights, 16 users left a role of weight 2 in 79 (the observatory's
officer) out of two runs in three (0.975^16), and the operators' pages out of one in four:
the mix then measured fewer journeys than it claims. Users take their roles in a fixed
order instead: every role once, the heaviest first, then the roles in proportion to their
weights, interleaved (smooth weighted round robin). With 16 users a light role's one
user asks for its pages back to back, more often than its weight says (the observatory:
6 % of the mix's requests for a weight of 2.5 %): every journey is measured in every run.
"""

from __future__ import annotations

from collections.abc import Mapping


def role_order(weights: Mapping[str, int], users: int) -> list[str]:
    """The role of each of ``users`` users, in the order they start."""
    roles = sorted((r for r, w in weights.items() if w > 0), key=lambda r: (-weights[r], r))
    order = roles[:users]
    total = sum(weights[r] for r in roles)
    current = dict.fromkeys(roles, 0)
    while len(order) < users:
        for role in roles:
            current[role] += weights[role]
        chosen = max(roles, key=lambda r: (current[r], -roles.index(r)))
        current[chosen] -= total
        order.append(chosen)
    return order
