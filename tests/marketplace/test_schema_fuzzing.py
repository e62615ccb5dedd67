"""Property-based fuzzing of every operation of the OpenAPI document against a live server
(issue 13): uvicorn in a subprocess on the test database, production settings (``DEBUG`` off),
once with a requester API key and once with a worker token.

For each operation schemathesis generates requests from the document, valid ones (positive)
and invalid ones (negative); half of them aim their path ids at real objects of a seeded world
(``tests.api_world``), the rest at whatever it generates. A run fails on any 5xx and on any
response the document does not describe (its status, its media type, its body).

``SCHEMA_FUZZ_EXAMPLES`` sets the examples per operation and mode for the caller's own
operations (default 8; the other kind of caller's operations, which answer 403, get 2): about
a minute for both callers on two cores. Raise it to fuzz deeper, e.g. ``SCHEMA_FUZZ_EXAMPLES=200``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import requests
import schemathesis
from django.conf import settings as django_settings
from django.db import connection
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_world import build_world
from tests.conftest import needs_postgres

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "8"))
# what uvicorn answers, as text/plain, to a request its HTTP parser cannot read
UVICORN_REFUSAL = "Invalid HTTP request received."
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

pytestmark = [
    needs_postgres,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def uvicorn_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """uvicorn on a free port, on the test database, for this module's tests (each seeds and
    flushes its own data); yields its base URL, its storage root and its log file."""
    tmp_path = tmp_path_factory.mktemp("schema-fuzzing")
    storage_root = (tmp_path / "storage-root").resolve()
    storage_root.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with django_db_blocker.unblock():
        db = connection.settings_dict
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "schema-fuzzing-not-a-secret",
        # the world's encrypted secrets (webhook signing secrets, AWS-style keys) are written by
        # this process: the server must read them back with the same key
        "FIELD_ENCRYPTION_KEY": django_settings.FIELD_ENCRYPTION_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "GROUNDWORK_STORAGE_ROOT": str(storage_root),
        "BACKGROUND_MODE": "inprocess",
        # the fuzzer is one client sending as fast as it can: let it through, to reach the views
        "WORKER_RATE_BURST": "1000000",
        "API_KEY_WRITE_RATE_BURST": "1000000",
        "ANONYMOUS_RATE_BURST": "1000000",
    }
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            else:
                raise RuntimeError(f"uvicorn did not start:\n{log.read_text()}")
            yield base, storage_root, log
        finally:
            server.terminate()
            server.wait(timeout=15)


def _fuzz(
    operation, mode: GenerationMode, examples: int, base: str, credentials: dict, real_ids: dict, statuses: Counter
) -> None:
    session = requests.Session()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), aim_at_real_objects=st.booleans())
    def run(case, aim_at_real_objects):
        if aim_at_real_objects and case.path_parameters:
            case.path_parameters = {name: real_ids.get(name, value) for name, value in case.path_parameters.items()}
        if case.operation.path == "/api/v1/api-keys/{api_key_id}/revoke" and (
            str(case.path_parameters.get("api_key_id")) == str(credentials.get("key_id"))
        ):
            reject()  # revoking the key the fuzzer sends would leave every later request a 401
        # the caller's credentials, not ones generated from the security scheme
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {credentials['secret']}"}
        try:
            response = case.call(base_url=base, session=session, timeout=30)
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, UnicodeError):
            reject()  # a request the client itself cannot send
        if response.status_code == 400 and response.text == UVICORN_REFUSAL:
            # a generated header uvicorn's parser refuses before the request reaches Groundwork
            # (seen once: a framing header with a garbled value): the HTTP server's answer, not ours
            reject()
        statuses[response.status_code] += 1
        if case.operation.path == "/api/v1/worker/token/rotate" and response.status_code == 200:
            rotated = response.json().get("token")
            credentials["secret"] = rotated or credentials["secret"]  # keep fuzzing with the new token
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("caller", ["requester", "worker"])
def test_fuzzing_every_operation_gives_no_5xx_and_nothing_off_the_document(caller, uvicorn_server, settings):
    # given: a world with real objects, and the document the live server serves
    base, storage_root, log = uvicorn_server
    settings.STORAGE_ROOT = storage_root
    world = build_world(storage_root)
    log_start = log.stat().st_size
    credentials = {
        "secret": world.requester.api_key if caller == "requester" else world.worker.token,
        "key_id": world.requester_key_id if caller == "requester" else None,
    }
    document = httpx.get(f"{base}/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(item) for item in document["paths"].values())

    # when: every operation fuzzed, valid and invalid requests
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    for operation in operations:
        # the other kind of caller's operations answer 403 before reading anything: a few examples
        is_own = operation.path.startswith("/api/v1/worker/") == (caller == "worker")
        examples = EXAMPLES if is_own else 2
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, examples, base, credentials, world.ids(caller), statuses)
            except (Exception, BaseExceptionGroup) as error:  # every failure is reported, then the run fails
                failures.append(f"{operation.label} [{mode.value}]: {error}")

    # then
    print(
        f"\nschema fuzzing as {caller}: {len(operations)} operations, {sum(statuses.values())} requests in "
        f"{time.monotonic() - started:.0f} s, {EXAMPLES} examples per operation and mode (2 for the "
        f"other kind of caller's); statuses "
        f"{dict(sorted(statuses.items()))}; {len(failures)} failing"
    )
    server_log = log.read_text()[log_start:]
    assert not failures, "\n\n".join(failures) + f"\n\n--- server log ---\n{server_log[-5000:]}"
