"""Where webhooks may go: https only, public addresses only (unless the operator opens them),
resolved once; refusals say why."""

from __future__ import annotations

import ipaddress

import pytest

from marketplace.events.safe_url import WebhookUrlError, check_webhook_url, refusal_reason, webhook_target


@pytest.fixture
def strict(settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    return settings


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.215.14/hook", "must use https://"),
        ("ftp://93.184.215.14/hook", "must use https://"),
        ("https://user:pw@93.184.215.14/hook", "credentials"),
        ("https:///nohost", "no host"),
        ("https://127.0.0.1/hook", "127.0.0.1, a loopback address"),
        ("https://localhost/hook", "a loopback address"),
        ("https://10.1.2.3/hook", "10.1.2.3, a private address"),
        ("https://192.168.0.10:8443/hook", "a private address"),
        ("https://172.16.5.4/hook", "a private address"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254, a cloud metadata address"),
        ("https://[fd00:ec2::254]/", "a cloud metadata address"),
        ("https://169.254.10.10/", "a link-local address"),
        ("https://[fe80::1]/", "a link-local address"),
        ("https://[::1]/", "a loopback address"),
        ("https://[::ffff:10.0.0.1]/", "a private address"),
        ("https://[64:ff9b::a00:1]/", "a private address"),
        ("https://0.0.0.0/", "an unspecified address"),
        ("https://224.0.0.1/", "a multicast address"),
        ("https://100.64.1.1/", "not a public address"),
        ("https://240.0.0.1/", "address"),
        ("https://does-not-exist.invalid/", "does not resolve"),
    ],
)
def test_refused_urls_say_why(strict, url, why):
    with pytest.raises(WebhookUrlError) as refused:
        check_webhook_url(url)
    assert why in str(refused.value)


def test_a_public_address_is_accepted_and_pinned(strict):
    target = webhook_target("https://93.184.215.14:8443/hooks/in?x=1")
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "93.184.215.14",
        8443,
        "/hooks/in?x=1",
        "93.184.215.14",
    )


def test_the_operator_opens_http_and_chosen_networks(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "10.20.0.0/16"]
    assert webhook_target("http://127.0.0.1:9000/x").address == "127.0.0.1"
    check_webhook_url("https://10.20.3.4/")
    with pytest.raises(WebhookUrlError, match="a private address"):
        check_webhook_url("https://10.21.0.1/")  # outside the opened network
    assert refusal_reason(ipaddress.ip_address("::ffff:127.0.0.1")) is None  # mapped form of an opened one
