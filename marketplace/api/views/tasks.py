"""``/api/v1/tasks``: create, list, read, stop, close and add slots to a requester's tasks."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework.response import Response

from ... import access
from ...inputs import validate
from ...inputs.tasks import TaskAddSlots, TaskCreateOneOrMany, task_specs
from ...models import Task
from ...selectors.tasks import requester_tasks
from ...services import tasks
from .. import examples
from ..base import RequesterAPIView
from ..pagination import paginated_response, query_choice, query_int
from ..request_body import body_object
from ..serializers.tasks import TaskDetailSerializer, TaskSerializer


def _one_or_many(name: str, serializer) -> PolymorphicProxySerializer:
    """One object, or a JSON list of them (as ``POST /tasks`` takes and answers)."""
    return PolymorphicProxySerializer(
        component_name=name, serializers=[serializer, serializer(many=True)], resource_type_field_name=None, many=False
    )


class TasksView(RequesterAPIView):
    @extend_schema(
        examples=examples.TASKS_CREATE,
        request=TaskCreateOneOrMany,
        responses={201: _one_or_many("TaskOneOrMany", TaskSerializer)},
        description="Create one task (a JSON object, answered with the task) or up to 1,000 "
        "(a JSON list, all or nothing, in order, answered with a list).",
    )
    def post(self, request):
        """Create tasks."""
        specs, batch_id = task_specs(request.data)
        created = tasks.tasks_post(requester=self.requester, specs=specs, batch_id=batch_id)
        # the tasks as created (each with its batch), not read back: a read of up to 1,000 rows
        # cost about half as much again as their insert
        data = TaskSerializer(created, many=True).data
        return Response(data if isinstance(request.data, list) else data[0], status=201)

    @extend_schema(
        responses=TaskSerializer(many=True),
        parameters=[
            OpenApiParameter("batch_id", int, description="only this batch's tasks"),
            OpenApiParameter("status", str, enum=Task.Status.values, description="only tasks in this status"),
        ],
    )
    def get(self, request):
        """List your tasks.

        Your tasks, oldest first; `batch_id` keeps one batch's, `status` one status's.
        """
        batch_id = query_int(request, "batch_id")
        status = query_choice(request, "status", Task.Status.values)
        queryset = requester_tasks(self.requester, batch_id=batch_id, status=status)
        return paginated_response(request, queryset, lambda task: TaskSerializer(task).data)


class TaskDetailView(RequesterAPIView):
    @extend_schema(responses=TaskDetailSerializer)
    def get(self, request, task_id):
        """Read a task.

        The task with its assignments in every status, oldest first.
        """
        task = access.access_task(self.requester, task_id)
        task.ordered_assignments = task.assignments.order_by("id")  # type: ignore[attr-defined]  # for TaskDetailSerializer
        return Response(TaskDetailSerializer(task).data)


class TaskStopView(RequesterAPIView):
    @extend_schema(request=None, responses=TaskSerializer)
    def post(self, request, task_id):
        """Stop a task.

        No new assignments are offered; live ones may still be submitted until their deadlines, so stopping
        never throws away work in progress. Stopping a stopped task is a 200 that changes nothing.
        """
        task = tasks.task_stop(task=access.access_task(self.requester, task_id))
        return Response(TaskSerializer(task).data)


class TaskCloseView(RequesterAPIView):
    @extend_schema(
        request=None,
        responses=TaskSerializer,
        description="Close a task early as complete; live assignments may still be submitted.",
    )
    def post(self, request, task_id):
        """Close a task early."""
        task = tasks.task_close(task=access.access_task(self.requester, task_id))
        return Response(TaskSerializer(task).data)


class TaskSlotsView(RequesterAPIView):
    @extend_schema(request=TaskAddSlots, responses=TaskSerializer)
    def post(self, request, task_id):
        """Add slots to a task.

        `add` more answers wanted (to replace rejected work, say). A full or complete task opens again; an
        expired or stopped one is a 409 `task_closed`. The new slots are reserved from the available balance,
        or 402 `insufficient_balance` and nothing changes.
        """
        task = access.access_task(self.requester, task_id)
        task = tasks.task_add_slots(task=task, add=validate(TaskAddSlots, body_object(request)).add)
        return Response(TaskSerializer(task).data)
