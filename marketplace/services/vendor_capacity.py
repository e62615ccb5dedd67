"""A vendor team's capacity (its offering's): the most live assignments the team holds at once.

The claim (``services.dispatch``) leaves out, before it looks for tasks, the vendor teams found
full by a read without locks, and then checks each vendor task it is about to hand out against
``VendorPlaces``, which locks the offering's row the first time it is asked about that team in
the claim's transaction and counts every assignment the transaction hands out there. Claims on
one vendor team therefore count its places one at a time, and concurrent claims cannot overshoot
it. The offering is locked after the tasks (rank 5 of ``marketplace.locking``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count

from ..locking import lock_vendor_offering
from ..models import Assignment, VendorOffering


def live_by_workteam(workteam_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """Assignments held now on each of these workteams' tasks (absent: none)."""
    return dict(
        Assignment.objects.filter(
            task__workteam_id__in=list(workteam_ids), status=Assignment.Status.ACCEPTED, deadline__gt=now
        )
        .values("task__workteam_id")
        .annotate(live=Count("pk"))
        .values_list("task__workteam_id", "live")
    )


class VendorPlaces:
    """The places left on the vendor teams among some workteams, for one claim transaction."""

    def __init__(self, capacities: dict[int, int], now: datetime) -> None:
        self.capacities = capacities  # workteam id → its offering's capacity
        self.now = now
        self.left: dict[int, int] = {}  # counted under the offering's lock, less what was taken since

    @classmethod
    def among(cls, vendor_workteam_ids: Iterable[int], now: datetime) -> VendorPlaces:
        ids = sorted(set(vendor_workteam_ids))
        capacities = (
            dict(VendorOffering.objects.filter(workteam_id__in=ids).values_list("workteam_id", "capacity"))
            if ids
            else {}
        )
        return cls(capacities, now)

    def full_at_a_glance(self) -> set[int]:
        """The teams full now, read without locks (to leave them out of the search)."""
        if not self.capacities:
            return set()
        live = live_by_workteam(self.capacities, self.now)
        return {team for team, capacity in self.capacities.items() if live.get(team, 0) >= capacity}

    def has_place(self, workteam_id: int) -> bool:
        """Whether one more assignment may go to this team (always, for a team with no offering).
        The first question about a team locks its offering's row and counts its live work."""
        if workteam_id not in self.capacities:
            return True
        if workteam_id not in self.left:
            capacity = lock_vendor_offering(workteam_id)
            self.left[workteam_id] = capacity - live_by_workteam([workteam_id], self.now).get(workteam_id, 0)
        return self.left[workteam_id] > 0

    def take(self, workteam_id: int) -> None:
        """Count an assignment handed out on this team (after ``has_place`` said yes)."""
        if workteam_id in self.left:
            self.left[workteam_id] -= 1

    def found_full(self) -> set[int]:
        """The teams this transaction found (or made) full under their offerings' locks."""
        return {team for team, left in self.left.items() if left <= 0}
