"""A token rotation spends the worker's unused websocket tickets, as a revocation does (issue 13,
defect 5): over REST (``POST /api/v1/worker/token/rotate``) and when a vendor issues a new token
in the portal. A ticket issued with the new token still opens a socket."""

from __future__ import annotations

import pytest

from marketplace.models import WebsocketTicket
from tests.portal.vendor_world import make_vendor
from tests.portal.vendor_world import make_worker as make_vendor_worker
from tests.support.factories import client_with

from .conftest import Socket, run

pytestmark = pytest.mark.usefixtures("realtime_db")


def _ticket(token: str) -> str:
    response = client_with(token).post("/api/v1/worker/ws-ticket")
    assert response.status_code == 200
    return response.json()["ticket"]


def _socket_outcome(ticket: str) -> str:
    """``"open"`` when the ticket opens a working socket, else the close code."""

    async def scenario():
        socket = await Socket.open(path=f"/ws/worker/?ticket={ticket}")
        await socket.send(type="ping", ref="p")
        output = await socket.communicator.receive_output(timeout=5)
        await socket.close()
        return "open" if output.get("type") == "websocket.send" else output["code"]

    return run(scenario())


def test_rotating_the_token_over_rest_spends_the_tickets_issued_before(make_worker):
    # given: two tickets issued with the old token, and a bystander's ticket
    worker, bystander = make_worker(), make_worker()
    before = [_ticket(worker.token), _ticket(worker.token)]
    bystanders = _ticket(bystander.token)

    # when
    rotated = worker.client.post("/api/v1/worker/token/rotate")

    # then
    assert rotated.status_code == 200
    assert [_socket_outcome(ticket) for ticket in before] == [4401, 4401]
    assert WebsocketTicket.objects.filter(worker=worker, used_at__isnull=True).count() == 0
    assert _socket_outcome(_ticket(rotated.json()["token"])) == "open"
    assert _socket_outcome(bystanders) == "open"  # other workers' tickets are untouched


def test_a_vendor_issuing_a_new_token_in_the_portal_spends_the_tickets_issued_before():
    # given: a vendor's worker with a ticket from its current token
    vendor = make_vendor()
    worker = make_vendor_worker(vendor)
    before = _ticket(worker.token)
    portal = vendor.client()

    # when
    issued = portal.post(f"/portal/vendor/team/workers/{worker.pk}/token")

    # then
    assert issued.status_code == 200
    assert _socket_outcome(before) == 4401
    assert WebsocketTicket.objects.filter(worker=worker, used_at__isnull=True).count() == 0
