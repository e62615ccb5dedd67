def test_worker_claims_and_submits(make_requester, make_worker, make_tasks):
    # given
    requester = make_requester()
    make_tasks(requester.organization, 1, slots=1)
    worker = make_worker()
    # when
    claimed = worker.client.post("/api/v1/worker/tasks/next")
    submitted = worker.client.post(
        f"/api/v1/worker/assignments/{claimed.json()['assignment_id']}/submit", {"answer": {"x": 1}}, format="json"
    )
    # then
    assert claimed.status_code == 200
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
