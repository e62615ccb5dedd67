"""Identifiers as people read them: one mapping for every status and task type a portal page
shows ("In progress", not ``in_progress``; "Bounding box", not ``bounding_box``), and counts
with their noun in the right number ("1 object", "2 objects"). Every page goes through these
(the ``word``, ``count`` and ``percent`` template filters in ``labeling.templatetags.portal``
and the charts in ``svg``), so the same identifier reads the same everywhere."""

from __future__ import annotations

from datetime import datetime

from django.utils.timesince import timeuntil

WORDS: dict[str, str] = {
    # labeling job statuses
    "initializing": "Initializing",
    "in_progress": "In progress",
    "completed": "Completed",
    "stopping": "Stopping",
    "stopped": "Stopped",
    "failed": "Failed",
    # data object statuses
    "pending": "Pending",
    "labeled": "Labeled",
    # task statuses
    "open": "Open",
    "full": "Full",
    "complete": "Complete",
    "expired": "Expired",
    "held": "Held",
    # assignment statuses
    "accepted": "Accepted",
    "submitted": "Submitted",
    "approved": "Approved",
    "rejected": "Rejected",
    "returned": "Returned",
    # payouts, invitations, subscriptions
    "requested": "Requested",
    "paid": "Paid",
    "cancelled": "Cancelled",
    "revoked": "Withdrawn",
    "active": "Active",
    "declined": "Declined",
    # webhook deliveries
    "succeeded": "Delivered",
    # task types
    "image_classification": "Image classification",
    "text_classification": "Text classification",
    "image_multilabel": "Image multi-label classification",
    "text_multilabel": "Text multi-label classification",
    "bounding_box": "Bounding box",
    "named_entity_recognition": "Named entity recognition",
    "semantic_segmentation": "Semantic segmentation",
    "label_verification": "Label verification",
    "bounding_box_adjustment": "Bounding box adjustment",
    "named_entity_recognition_adjustment": "Named entity adjustment",
    "semantic_segmentation_adjustment": "Semantic segmentation adjustment",
    "custom": "Custom (free-form tasks)",
    # ledger transaction kinds
    "deposit": "Deposit",
    "escrow_reserve": "Reserved for posted work",
    "escrow_release": "Released from reserve",
    "assignment_payment": "Payment for an approved answer",
    "bonus": "Bonus",
    "payout_request": "Payout requested",
    "payout_approve": "Payout approved",
    "payout_paid": "Payout paid",
    "payout_cancel": "Payout cancelled",
    # ledger accounts on a requester's statement
    "available": "Available",
    "escrow": "On hold",
}

# Nouns whose plural is not the singular plus "s".
PLURALS: dict[str, str] = {
    "job or batch": "jobs or batches",
    "batch": "batches",
    "entry": "entries",
    "delivery": "deliveries",
    "query": "queries",
}


def word(identifier: object) -> str:
    """The words for a status, task type or ledger kind; an identifier not listed reads as
    itself with underscores as spaces and a capital first letter (never raw snake_case)."""
    text = "" if identifier is None else str(identifier)
    if text in WORDS:
        return WORDS[text]
    spaced = text.replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:]


def plural(noun: str) -> str:
    """``noun`` in the plural ("object" → "objects", "job or batch" → "jobs or batches")."""
    if noun in PLURALS:
        return PLURALS[noun]
    return noun if noun.endswith("s") else noun + "s"


def count_noun(count: float | int, noun: str) -> str:
    """A count with its noun in the right number: "1 object", "0 objects", "2 answers"
    (an integral float prints without decimals)."""
    number = int(count) if float(count).is_integer() else count
    return f"{number} {noun if number == 1 else plural(noun)}"


def percent(value: float | None, *, share: bool = False) -> str:
    """A percentage with one decimal and a space before the sign ("33.5 %"), "–" for none;
    ``share`` when ``value`` is a fraction of 1 rather than a percentage already."""
    if value is None:
        return "–"
    return f"{100 * value if share else value:.1f} %"


def time_until(moment: datetime | None, now: datetime) -> str:
    """How long until ``moment`` in its largest unit ("6 days", "3 hours"), short enough for a
    card; "" when there is none or it has passed."""
    return timeuntil(moment, now, depth=1) if moment and moment > now else ""
