"""Helpers shared by the tests of this package (test_tenancy_and_auth.py, split by topic)."""

from __future__ import annotations


def create_team(client, name="team") -> dict:
    response = client.post("/api/v1/workteams", {"name": name}, format="json")
    assert response.status_code == 201
    return response.json()


def invite(client, team_id, worker_id):
    return client.post(f"/api/v1/workteams/{team_id}/invitations", {"worker_id": worker_id}, format="json")


def assert_not_found(response) -> None:
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["fields"] == {}
