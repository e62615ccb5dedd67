"""In headless Chromium: a requester admin opens Appeals from the portal's navigation, reads
three workers' appeals (the answer, its own feedback, the worker's message; a hostile message
inert), accepts one with a reply (the assignment is then approved and paid once), tries to
decline one without a reply (refused, nothing changed) and then declines it with one.
"""

from __future__ import annotations

import pytest

from marketplace.models import Appeal, Assignment, Membership, WorkerMessage
from tests.marketplace.appeals.helpers import appeal, rejected_assignment
from tests.marketplace.ledger_api.helpers import ledger_state
from tests.marketplace.ledger_invariants import ledger_violations

from .requester_factories import HOSTILE
from .test_requester_browser import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_requester_accepts_and_declines_appeals_in_the_portal(page, screenshot_dir, make_requester, make_worker):
    # given: three rejected answers of Acme ML, each appealed by its worker
    acme = make_requester("Acme ML", balance_micros=1_000_000)
    Membership.objects.filter(user__username=acme.admin_username).update(password_change_required=False)
    messages = ["It is a cat: look at the ears and the whiskers.", HOSTILE, "The label list had no 'fox'."]
    workers, appeal_ids = [], []
    for message in messages:
        worker = make_worker()
        assignment_id = rejected_assignment(acme, worker, feedback="The picture shows a dog.")
        created = appeal(worker, assignment_id, {"message": message})
        assert created.status_code == 201, created.content
        workers.append(worker)
        appeal_ids.append(created.json()["id"])

    # when: the admin opens Appeals from the navigation
    sign_in(page, acme.admin_username, acme.admin_password)
    page.click("header nav >> text=Appeals")
    page.wait_for_url("**/portal/requester/appeals")

    # then: the three open appeals, oldest first, the hostile message shown as text
    cards = page.locator("#open-appeals .appeal")
    assert cards.count() == 3
    assert [int(cards.nth(i).get_attribute("data-appeal-id")) for i in range(3)] == appeal_ids
    first = cards.nth(0).inner_text()
    assert "The picture shows a dog." in first and '"label": "cat"' in first and messages[0] in first
    assert HOSTILE in cards.nth(1).inner_text()
    assert page.evaluate("() => document.querySelectorAll('#open-appeals script').length") == 0
    page.screenshot(path=str(screenshot_dir / "requester-appeals.png"), full_page=True)

    # when: the first is accepted with a reply
    first_card = page.locator(f'.appeal[data-appeal-id="{appeal_ids[0]}"]')
    first_card.locator("form.accept textarea").fill("You are right, sorry.")
    first_card.locator("form.accept button").click()
    page.wait_for_selector(f"text=Appeal {appeal_ids[0]} accepted")

    # then: approved and paid once, the appeal among the decided, the worker told
    accepted = Appeal.objects.select_related("assignment").get(pk=appeal_ids[0])
    assert (accepted.status, accepted.reply, accepted.assignment.status) == (
        "accepted",
        "You are right, sorry.",
        Assignment.Status.APPROVED,
    )
    assert ledger_violations() == []
    assert page.locator("#open-appeals .appeal").count() == 2
    assert "Accepted" in page.inner_text(f'#decided-appeals tr[data-appeal-id="{appeal_ids[0]}"]')
    assert WorkerMessage.objects.filter(worker=workers[0], subject="Your appeal was accepted").count() == 1

    # when: the second is declined without a reply
    before = ledger_state()
    second_card = page.locator(f'.appeal[data-appeal-id="{appeal_ids[1]}"]')
    second_card.locator("form.decline button").click()
    page.wait_for_selector(f"text=Appeal {appeal_ids[1]} not decided")

    # then: refused, naming the reply; nothing changed
    assert "reply is required" in page.inner_text("ul.messages")
    assert Appeal.objects.get(pk=appeal_ids[1]).status == "open"
    assert ledger_state() == before

    # when: declined with a reply
    page.locator(f'.appeal[data-appeal-id="{appeal_ids[1]}"] form.decline textarea').fill("The snout is a dog's.")
    page.locator(f'.appeal[data-appeal-id="{appeal_ids[1]}"] form.decline button').click()
    page.wait_for_selector(f"text=Appeal {appeal_ids[1]} declined")

    # then
    assert Appeal.objects.get(pk=appeal_ids[1]).status == "declined"
    assert ledger_state() == before
    assert page.locator("#open-appeals .appeal").count() == 1
    page.screenshot(path=str(screenshot_dir / "requester-appeals-decided.png"), full_page=True)
    assert ledger_violations() == []
