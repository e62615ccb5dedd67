"""The signature header, and the ten-line verification docs/webhooks.md gives receivers: run
as printed there, against real deliveries and against tampering, replays and rotation."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from pathlib import Path

import pytest
from django.db import transaction

from marketplace.encryption import encrypt_secret
from marketplace.events.outbox import record_event
from marketplace.events.signing import new_secret, signature_header
from marketplace.models import Delivery

from .conftest import deliver_until, make_endpoint

DOCS = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def documented_verify():
    """The ``verify`` function exactly as docs/webhooks.md prints it."""
    text = DOCS.read_text()
    section = text.split("## Verifying signatures", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 10
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)
    return namespace["verify"]


def test_the_header_is_t_and_one_hmac_per_secret():
    # given
    body = b'{"id":"evt_1"}'
    # when
    header = signature_header(body, ["whsec_new", "whsec_old"], 1764950400)
    # then
    expected_new = hmac.new(b"whsec_new", b"1764950400." + body, hashlib.sha256).hexdigest()
    expected_old = hmac.new(b"whsec_old", b"1764950400." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1764950400,v1={expected_new},v1={expected_old}"
    with pytest.raises(ValueError):
        signature_header(body, [], 1)


def test_the_documented_snippet_accepts_good_and_refuses_bad_signatures():
    verify = documented_verify()
    secret, other = new_secret(), new_secret()
    body = '{"id":"evt_2","data":{"text":"café"}}'.encode()
    now = int(time.time())
    assert verify(body, signature_header(body, [secret], now), secret)
    assert verify(body, signature_header(body, [other, secret], now), secret)  # rotation: either matches
    assert not verify(body + b" ", signature_header(body, [secret], now), secret)  # tampered body
    assert not verify(body, signature_header(body, [other], now), secret)  # another secret
    assert not verify(body, signature_header(body, [secret], now - 301), secret)  # a replay, 5 min later
    assert not verify(body, "v1=" + "0" * 64, secret)  # no timestamp
    assert not verify(body, f"t={now},t={now},v1=00", secret)


@pytest.mark.django_db(transaction=True)
def test_real_deliveries_verify_with_the_documented_snippet_during_a_rotation(requester, receiver):
    # given: an endpoint mid-rotation (the previous secret still signing for an hour)
    verify = documented_verify()
    endpoint, old_secret = make_endpoint(requester.organization, receiver.url())
    new = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = endpoint.created_at.replace(year=endpoint.created_at.year + 1)
    endpoint.secret_encrypted = encrypt_secret(new)
    endpoint.save(update_fields=["secret_encrypted", "previous_secret_encrypted", "previous_secret_expires_at"])

    # when
    with transaction.atomic():
        record_event(
            organization_id=requester.organization.pk,
            event_type="task.completed",
            data={"id": 1, "title": "naïve ☃"},
            ordering_key="task:1",
        )
    assert deliver_until(lambda: Delivery.objects.filter(endpoint=endpoint, status="succeeded").exists())

    # then: the raw bytes verify under both secrets, and under nothing else
    (request,) = receiver.at("/hook")
    header = request.headers["groundwork-signature"]
    assert header.count("v1=") == 2
    assert verify(request.body, header, new)
    assert verify(request.body, header, old_secret)
    assert not verify(request.body, header, new_secret())
