import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.support.worker_api import claim, submit
pytestmark = pytest.mark.django_db

def test_probe(make_requester, make_worker, make_tasks):
    requester = make_requester()
    make_tasks(requester.organization, 5, slots=3)
    worker = make_worker()
    other = make_worker()
    r = claim(other); submit(other, r.json()["assignment_id"])
    with CaptureQueriesContext(connection) as q:
        r = claim(worker)
    print("CLAIM", len(q.captured_queries))
    for x in q.captured_queries: print("  ", x["sql"][:400])
    with CaptureQueriesContext(connection) as q:
        r2 = submit(worker, r.json()["assignment_id"])
    print("SUBMIT", len(q.captured_queries), r2.status_code)
    for x in q.captured_queries: print("  ", x["sql"][:400])
