"""What MTurk charges, in Decimal: the reward plus MTurk's fee, 20% of it, or 40% on HITs with
10 or more assignments, at least $0.01 per assignment or bonus. Pure arithmetic, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
FEE = Decimal("0.20")
FEE_LARGE_HIT = Decimal("0.40")
LARGE_HIT_ASSIGNMENTS = 10
MIN_FEE = Decimal("0.01")


def fee_rate(max_assignments: int) -> Decimal:
    """MTurk's commission on a HIT's rewards: 40% from 10 assignments up, else 20%."""
    return FEE_LARGE_HIT if max_assignments >= LARGE_HIT_ASSIGNMENTS else FEE


def fee(amount: Decimal, rate: Decimal = FEE) -> Decimal:
    """The fee on one payment (an assignment's reward or a bonus)."""
    return max(amount * rate, MIN_FEE)


def assignment_cost(reward: Decimal, max_assignments: int) -> Decimal:
    """What one paid assignment costs: its reward plus the fee of its HIT size."""
    return reward + fee(reward, fee_rate(max_assignments))


def bonus_cost(amount: Decimal) -> Decimal:
    """A bonus costs its amount plus a 20% fee."""
    return amount + fee(amount, FEE)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def dollars(amount: Decimal) -> str:
    return f"${cents(amount):,.2f}"


@dataclass(frozen=True)
class BatchCost:
    """The full cost of publishing `hits` HITs with the same reward and assignments."""

    hits: int
    reward: Decimal
    max_assignments: int

    @property
    def assignments(self) -> int:
        return self.hits * self.max_assignments

    @property
    def fee_rate(self) -> Decimal:
        return fee_rate(self.max_assignments)

    @property
    def rewards(self) -> Decimal:
        return self.reward * self.assignments

    @property
    def fees(self) -> Decimal:
        return fee(self.reward, self.fee_rate) * self.assignments if self.hits else Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.rewards + self.fees
