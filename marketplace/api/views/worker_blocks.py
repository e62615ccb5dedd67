"""``/api/v1/worker-blocks``: the workers a requester blocks from its tasks."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ... import access
from ...inputs import validate
from ...inputs.blocks import WorkerBlockCreate
from ...selectors.qualifications import requester_blocks
from ...services import blocks
from ..base import RequesterAPIView
from ..pagination import paginated_response
from ..request_body import named_worker
from ..serializers.worker_blocks import WorkerBlockSerializer


class WorkerBlocksView(RequesterAPIView):
    @extend_schema(responses=WorkerBlockSerializer(many=True))
    def get(self, request):
        """List the workers you block.

        The workers blocked from your tasks, with the reasons.
        """
        queryset = requester_blocks(self.requester)
        return paginated_response(request, queryset, lambda b: WorkerBlockSerializer(b).data)

    @extend_schema(
        request=WorkerBlockCreate,
        responses={201: WorkerBlockSerializer, 200: WorkerBlockSerializer},
        description="Block a worker from your tasks (201); blocking a blocked worker again replaces the reason "
        "(200). Its live assignments stay submittable.",
    )
    def post(self, request):
        """Block a worker."""
        block_input = validate(WorkerBlockCreate, request.data)
        block, created = blocks.worker_block(
            requester=self.requester, worker=named_worker(block_input.worker_id), reason=block_input.reason
        )
        return Response(WorkerBlockSerializer(block).data, status=201 if created else 200)


class WorkerBlockView(RequesterAPIView):
    @extend_schema(responses={204: None}, description="Unblock the worker (by worker id).")
    def delete(self, request, worker_id):
        """Unblock a worker."""
        blocks.worker_unblock(block=access.access_worker_block(self.requester, worker_id))
        return Response(status=204)
