"""Requesters and workers see and act on their own resources only; invitations and members."""

from __future__ import annotations

import re

import pytest

from marketplace.models import ApiKey, Assignment, Invitation, Task, Workteam, WorkteamMembership
from marketplace.services.workteams import public_workforce
from tests.marketplace.tenancy_and_auth.helpers import assert_not_found, create_team, invite
from tests.support.factories import client_with
from tests.support.worker_api import claim, submit


@pytest.fixture
def two_tenants(make_requester, make_tasks, make_worker):
    """Requester ``owner`` with a task, batch, submitted assignment, private team (with a member
    and a pending invitation) and a second API key; ``other`` is a requester with nothing."""
    owner, other = make_requester(), make_requester()
    owner_client, other_client = client_with(owner.api_key), client_with(other.api_key)
    [task] = make_tasks(owner.organization, 1, slots=2)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    submit(worker, assignment_id, {"x": 1})
    team = create_team(owner_client)
    member, invitee = make_worker(), make_worker()
    invitation_id = invite(owner_client, team["id"], member.pk).json()["id"]
    member.client.post(f"/api/v1/worker/invitations/{invitation_id}/accept")
    pending_id = invite(owner_client, team["id"], invitee.pk).json()["id"]
    key_id = owner_client.post("/api/v1/api-keys", {"name": "second"}, format="json").json()["id"]
    return {
        "owner_client": owner_client,
        "other_client": other_client,
        "task": task,
        "assignment_id": assignment_id,
        "team_id": team["id"],
        "member": member,
        "invitee": invitee,
        "pending_id": pending_id,
        "key_id": key_id,
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/tasks/{task}", None),
        ("post", "/api/v1/tasks/{task}/stop", None),
        ("post", "/api/v1/tasks/{task}/close", None),
        ("post", "/api/v1/tasks/{task}/slots", {"add": 1}),
        ("get", "/api/v1/batches/{batch}", None),
        ("post", "/api/v1/assignments/{assignment}/approve", {"feedback": "mine now"}),
        ("post", "/api/v1/assignments/{assignment}/reject", {"feedback": "mine now"}),
        ("get", "/api/v1/workteams/{team}", None),
        ("get", "/api/v1/workteams/{team}/members", None),
        ("delete", "/api/v1/workteams/{team}/members/{member}", None),
        ("get", "/api/v1/workteams/{team}/invitations", None),
        ("post", "/api/v1/workteams/{team}/invitations", {"worker_id": "{invitee}"}),
        ("post", "/api/v1/workteams/{team}/invitations/{invitation}/revoke", None),
        ("post", "/api/v1/api-keys/{key}/revoke", None),
    ],
)
def test_another_requesters_resource_is_a_404_like_a_missing_one(two_tenants, method, path, body):
    # given
    t = two_tenants
    ids = {
        "task": t["task"].pk,
        "batch": t["task"].batch_id,
        "assignment": t["assignment_id"],
        "team": t["team_id"],
        "member": t["member"].pk,
        "invitee": t["invitee"].pk,
        "invitation": t["pending_id"],
        "key": t["key_id"],
    }
    missing = dict.fromkeys(ids, 987654)
    missing["member"], missing["invitee"] = ids["member"], ids["invitee"]
    if body is not None:
        body = {k: (ids[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v) for k, v in body.items()}
    snapshot = (
        sorted(Task.objects.values_list("pk", "status", "slots")),
        sorted(Assignment.objects.values_list("pk", "status", "feedback")),
        sorted(WorkteamMembership.objects.values_list("workteam_id", "worker_id")),
        sorted(Invitation.objects.values_list("pk", "status")),
        sorted(ApiKey.objects.values_list("pk", "revoked_at")),
    )
    # when
    foreign = getattr(t["other_client"], method)(path.format(**ids), body, format="json")
    absent = getattr(t["other_client"], method)(path.format(**missing), body, format="json")
    # then
    assert_not_found(foreign)
    assert_not_found(absent)
    foreign_message, absent_message = foreign.json()["error"]["message"], absent.json()["error"]["message"]
    assert re.sub(r"\d+", "N", foreign_message) == re.sub(r"\d+", "N", absent_message)
    assert snapshot == (
        sorted(Task.objects.values_list("pk", "status", "slots")),
        sorted(Assignment.objects.values_list("pk", "status", "feedback")),
        sorted(WorkteamMembership.objects.values_list("workteam_id", "worker_id")),
        sorted(Invitation.objects.values_list("pk", "status")),
        sorted(ApiKey.objects.values_list("pk", "revoked_at")),
    )


def test_another_requesters_resources_are_not_listed(two_tenants):
    # given
    other = two_tenants["other_client"]
    # when
    tasks = other.get("/api/v1/tasks")
    filtered = other.get("/api/v1/tasks", {"batch_id": two_tenants["task"].batch_id})
    batches = other.get("/api/v1/batches")
    keys = other.get("/api/v1/api-keys")
    # then
    assert tasks.json() == {"results": [], "next": None}
    assert filtered.json() == {"results": [], "next": None}
    assert batches.json() == {"results": [], "next": None}
    assert len(keys.json()["results"]) == 1  # its own default key only
    assert keys.json()["results"][0]["id"] not in (two_tenants["key_id"],)


def test_posting_to_another_requesters_batch_or_workteam_is_a_400(two_tenants):
    # given
    other = two_tenants["other_client"]
    before = Task.objects.count()
    # when
    into_batch = other.post(
        "/api/v1/tasks", {"title": "t", "reward": "0.05", "batch_id": two_tenants["task"].batch_id}, format="json"
    )
    into_team = other.post(
        "/api/v1/tasks", {"title": "t", "reward": "0.05", "workteam_id": two_tenants["team_id"]}, format="json"
    )
    # then
    assert into_batch.status_code == 400
    assert into_batch.json()["error"]["fields"] == {"batch_id": ["no such batch"]}
    assert into_team.status_code == 400
    assert into_team.json()["error"]["fields"] == {"workteam_id": ["no such workteam"]}
    assert Task.objects.count() == before


def test_workteams_list_shows_the_public_workforce_and_own_teams_only(two_tenants):
    # given
    own = create_team(two_tenants["other_client"], "other's team")
    # when
    response = two_tenants["other_client"].get("/api/v1/workteams")
    # then
    assert response.status_code == 200
    listed = response.json()["results"]
    assert [(w["id"], w["kind"]) for w in listed] == [(public_workforce().pk, "public"), (own["id"], "private")]
    assert listed[1] == {**own, "member_count": 0}
    assert own["owner_id"] == Workteam.objects.get(pk=own["id"]).owner_id


def test_a_worker_cannot_submit_or_return_another_workers_assignment(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1, slots=2)
    holder, intruder = make_worker(), make_worker()
    assignment_id = claim(holder).json()["assignment_id"]
    stored = Assignment.objects.filter(pk=assignment_id).values().get()
    # when
    submitted = submit(intruder, assignment_id, {"x": 1})
    returned = intruder.client.post(f"/api/v1/worker/assignments/{assignment_id}/return")
    # then
    assert_not_found(submitted)
    assert_not_found(returned)
    assert Assignment.objects.filter(pk=assignment_id).values().get() == stored


def test_a_worker_lists_only_its_own_assignments(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1, slots=2)
    a, b = make_worker(), make_worker()
    mine = claim(a).json()["assignment_id"]
    claim(b)
    # when
    response = a.client.get("/api/v1/worker/assignments")
    # then
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [mine]


def test_a_private_team_task_goes_only_to_members(requester, requester_client, make_worker):
    # given
    team = create_team(requester_client)
    private_task = {"title": "private", "reward": "0.10", "workteam_id": team["id"]}
    requester_client.post("/api/v1/tasks", private_task, format="json")
    worker = make_worker()
    # when
    before_joining = claim(worker)
    invitation_id = invite(requester_client, team["id"], worker.pk).json()["id"]
    worker.client.post(f"/api/v1/worker/invitations/{invitation_id}/accept")
    after_joining = claim(worker)
    # then
    assert before_joining.status_code == 204
    assert after_joining.status_code == 200
    assert after_joining.json()["task_id"] == Task.objects.get().pk


def test_a_worker_outside_the_public_workforce_gets_no_public_tasks(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1)
    worker = make_worker(join_public=False)
    # when
    response = claim(worker)
    # then
    assert response.status_code == 204
    assert Assignment.objects.count() == 0


def test_a_removed_member_gets_no_more_team_tasks(requester, requester_client, make_worker):
    # given
    team = create_team(requester_client)
    worker = make_worker(join_public=False)
    invitation_id = invite(requester_client, team["id"], worker.pk).json()["id"]
    worker.client.post(f"/api/v1/worker/invitations/{invitation_id}/accept")
    private_tasks = [{"title": f"p{i}", "reward": "0.10", "workteam_id": team["id"]} for i in range(2)]
    requester_client.post("/api/v1/tasks", private_tasks, format="json")
    held = claim(worker).json()["assignment_id"]
    # when
    removed = requester_client.delete(f"/api/v1/workteams/{team['id']}/members/{worker.pk}")
    # then
    assert removed.status_code == 204
    assert not WorkteamMembership.objects.filter(workteam_id=team["id"], worker=worker).exists()
    assert claim(worker).status_code == 204
    assert submit(worker, held, {"x": 1}).status_code == 200  # live work stays live


def test_invitation_create_list_accept_joins_the_team(requester_client, make_worker):
    # given
    team = create_team(requester_client, "reviewers")
    worker = make_worker()
    # when
    created = invite(requester_client, team["id"], worker.pk)
    listed = worker.client.get("/api/v1/worker/invitations")
    accepted = worker.client.post(f"/api/v1/worker/invitations/{created.json()['id']}/accept")
    # then
    assert created.status_code == 201
    invitation = created.json()
    assert (invitation["workteam_id"], invitation["workteam_name"], invitation["worker_id"], invitation["status"]) == (
        team["id"],
        "reviewers",
        worker.pk,
        "pending",
    )
    assert listed.status_code == 200
    assert listed.json()["results"] == [invitation]
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["accepted_at"] is not None
    assert WorkteamMembership.objects.filter(workteam_id=team["id"], worker=worker).exists()
    members = requester_client.get(f"/api/v1/workteams/{team['id']}/members").json()["results"]
    assert [(m["worker_id"], m["username"]) for m in members] == [(worker.pk, worker.username)]
    assert requester_client.get(f"/api/v1/workteams/{team['id']}").json()["member_count"] == 1
    again = worker.client.post(f"/api/v1/worker/invitations/{created.json()['id']}/accept")
    assert again.status_code == 200
    assert WorkteamMembership.objects.filter(workteam_id=team["id"], worker=worker).count() == 1


def test_inviting_twice_gives_the_pending_invitation(requester_client, make_worker):
    # given
    team = create_team(requester_client)
    worker = make_worker()
    first = invite(requester_client, team["id"], worker.pk)
    # when
    second = invite(requester_client, team["id"], worker.pk)
    # then
    assert second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert Invitation.objects.count() == 1


def test_inviting_a_member_is_a_409(requester_client, make_worker):
    # given
    team = create_team(requester_client)
    worker = make_worker()
    invitation_id = invite(requester_client, team["id"], worker.pk).json()["id"]
    worker.client.post(f"/api/v1/worker/invitations/{invitation_id}/accept")
    # when
    response = invite(requester_client, team["id"], worker.pk)
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_member"
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize("worker_id", [987654, "1", None])
def test_inviting_a_missing_or_bad_worker_id_is_a_400(requester_client, worker_id):
    # given
    team = create_team(requester_client)
    # when
    response = invite(requester_client, team["id"], worker_id)
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["worker_id"]
    assert Invitation.objects.count() == 0


def test_accepting_a_revoked_invitation_is_a_409(requester_client, make_worker):
    # given
    team = create_team(requester_client)
    worker = make_worker()
    invitation_id = invite(requester_client, team["id"], worker.pk).json()["id"]
    revoked = requester_client.post(f"/api/v1/workteams/{team['id']}/invitations/{invitation_id}/revoke")
    # when
    response = worker.client.post(f"/api/v1/worker/invitations/{invitation_id}/accept")
    # then
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["revoked_at"] is not None
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invitation_not_pending"
    assert Invitation.objects.get().status == "revoked"
    assert not WorkteamMembership.objects.filter(workteam_id=team["id"], worker=worker).exists()


def test_revoking_twice_is_a_200_and_revoking_an_accepted_one_is_a_409(requester_client, make_worker):
    # given
    team = create_team(requester_client)
    revokee, joiner = make_worker(), make_worker()
    revoked_id = invite(requester_client, team["id"], revokee.pk).json()["id"]
    accepted_id = invite(requester_client, team["id"], joiner.pk).json()["id"]
    requester_client.post(f"/api/v1/workteams/{team['id']}/invitations/{revoked_id}/revoke")
    joiner.client.post(f"/api/v1/worker/invitations/{accepted_id}/accept")
    # when
    again = requester_client.post(f"/api/v1/workteams/{team['id']}/invitations/{revoked_id}/revoke")
    refused = requester_client.post(f"/api/v1/workteams/{team['id']}/invitations/{accepted_id}/revoke")
    # then
    assert again.status_code == 200
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "invitation_not_pending"
    assert Invitation.objects.get(pk=accepted_id).status == "accepted"


def test_a_worker_cannot_accept_another_workers_invitation(requester_client, make_worker):
    # given
    team = create_team(requester_client)
    invitee, intruder = make_worker(), make_worker()
    invitation_id = invite(requester_client, team["id"], invitee.pk).json()["id"]
    # when
    response = intruder.client.post(f"/api/v1/worker/invitations/{invitation_id}/accept")
    # then
    assert_not_found(response)
    assert Invitation.objects.get().status == "pending"
    assert not WorkteamMembership.objects.filter(workteam_id=team["id"]).exists()
    assert intruder.client.get("/api/v1/worker/invitations").json()["results"] == []


def test_the_public_workforce_takes_no_invitations_and_its_members_are_not_listed(requester_client, make_worker):
    # given
    worker = make_worker(join_public=False)
    public_id = public_workforce().pk
    # when
    invited = invite(requester_client, public_id, worker.pk)
    members = requester_client.get(f"/api/v1/workteams/{public_id}/members")
    # then
    assert_not_found(invited)
    assert_not_found(members)
    assert Invitation.objects.count() == 0


def test_removing_a_non_member_is_a_404(requester_client, make_worker):
    # given
    team = create_team(requester_client)
    # when
    response = requester_client.delete(f"/api/v1/workteams/{team['id']}/members/{make_worker().pk}")
    # then
    assert_not_found(response)


def test_creating_a_workteam_without_a_name_is_a_400(requester_client):
    # when
    response = requester_client.post("/api/v1/workteams", {"name": "  "}, format="json")
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["name"]
    assert Workteam.objects.count() == 1  # the public workforce
