"""``/api/v1/batches``: a requester's batches with their progress."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ... import access
from ...models import Batch
from ...selectors.batches import batch_progress, requester_batches
from ..base import RequesterAPIView
from ..pagination import paginated_response
from ..serializers.batches import BatchSerializer


def _render_batch(batch: Batch) -> dict:
    return BatchSerializer(
        {
            **{
                f: getattr(batch, f)
                for f in (
                    "id",
                    "workteam_id",
                    "auto_approval_delay_seconds",
                    "auto_approval_policy",
                    "quality_rules",
                    "qualification_requirements",
                    "created_at",
                    "fee_minimum_micros",
                )
            },
            "fee_rate": str(Decimal(batch.fee_rate_ppm) / 1_000_000),
            **_progress(batch),
        }
    ).data


def _progress(batch: Batch) -> dict:
    progress = batch_progress(batch)
    return {"tasks": progress.tasks, "assignments": progress.assignments, "on_hold_micros": progress.on_hold_micros}


class BatchesView(RequesterAPIView):
    @extend_schema(responses=BatchSerializer(many=True))
    def get(self, request):
        """List your batches.

        Your active batches, oldest first, each with its settings and its progress.
        """
        batches = requester_batches(self.requester)
        return paginated_response(request, batches, _render_batch)


class BatchDetailView(RequesterAPIView):
    @extend_schema(responses=BatchSerializer)
    def get(self, request, batch_id):
        """Read a batch.

        The batch's settings (workteam, auto-approval delay and policy, quality rules, qualification
        requirements, fee) and its progress.
        """
        return Response(_render_batch(access.access_batch(self.requester, batch_id)))
