"""The console's appeals, in Chromium on the real server: on History a worker appeals a recent
rejection (an empty message refused in words, then sent), sees an old rejection closed to
appeals and a declined appeal's reply; once the requester accepts, the row shows it approved and
paid, a message says so, and the requester's public profile counts the appeals.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from marketplace.models import Appeal, Assignment
from tests.marketplace.appeals.helpers import accept, appeal, decline, rejected_assignment
from tests.marketplace.ledger_invariants import ledger_violations

from .conftest import screenshot, sign_in


def test_a_worker_appeals_a_rejection_and_follows_the_outcome(
    console_server, console_page, console_worker, make_requester
):
    # given: three answers of the worker rejected by Pixel Labs: one recent, one 20 days old,
    # one already appealed and declined
    requester = make_requester("Pixel Labs", balance_micros=1_000_000)
    recent = rejected_assignment(requester, console_worker, feedback="Boxes too loose.")
    old = rejected_assignment(requester, console_worker, feedback="Wrong label.")
    Assignment.objects.filter(pk=old).update(rejected_at=timezone.now() - timedelta(days=20))
    declined = rejected_assignment(requester, console_worker, feedback="Missed a car.")
    declined_appeal = appeal(console_worker, declined, {"message": "There is no car."}).json()["id"]
    assert decline(requester, declined_appeal, {"reply": "Look at the left edge."}).status_code == 200

    # when: the worker opens History
    sign_in(console_page, console_worker)
    console_page.click("nav a:has-text('History')")
    console_page.wait_for_selector("#history table")

    # then: the recent rejection can be appealed, the old one not, the declined one shows its reply
    row = console_page.locator(f'tr[data-assignment-id="{recent}"]')
    assert row.locator("[data-appeal-open]").is_visible()
    assert "Appeals closed" in console_page.locator(f'tr[data-assignment-id="{old}"] .appeal-cell').inner_text()
    declined_cell = console_page.locator(f'tr[data-assignment-id="{declined}"] .appeal-cell').inner_text()
    assert "Appeal declined" in declined_cell and "Look at the left edge." in declined_cell

    # when: an empty appeal, then a real one
    row.locator("[data-appeal-open]").click()
    row.locator("[data-appeal-form] button[type=submit]").click()
    console_page.wait_for_selector(f'tr[data-assignment-id="{recent}"] [role=alert]:not([hidden])')
    assert "Your message is required." in row.locator("[role=alert]").inner_text()
    assert not Appeal.objects.filter(assignment_id=recent).exists()
    row.locator("textarea").fill("The boxes touch the object's edges: see the second image.")
    screenshot(console_page, "history-appeal-form")
    row.locator("[data-appeal-form] button[type=submit]").click()
    row.locator('[data-appeal-status="open"]').wait_for()

    # then: the appeal is made, as the worker wrote it
    made = Appeal.objects.get(assignment_id=recent)
    assert (made.status, made.message) == ("open", "The boxes touch the object's edges: see the second image.")

    # when: the requester accepts it, and the worker looks again
    assert accept(requester, made.pk, {"reply": "Right, our mistake."}).status_code == 200
    console_page.reload()
    console_page.wait_for_selector(f'tr[data-assignment-id="{recent}"] [data-appeal-status="accepted"]')

    # then: approved and paid, the reply shown, the money whole
    row = console_page.locator(f'tr[data-assignment-id="{recent}"]')
    assert row.locator(".status-approved").inner_text().startswith("approved")
    assert "Right, our mistake." in row.locator(".appeal-cell").inner_text()
    assert ledger_violations() == []
    screenshot(console_page, "history-appeals")

    # and: a message says so
    console_page.click("nav a:has-text('Messages')")
    console_page.wait_for_selector("#messages li.message")
    assert console_page.locator("#messages li.message h2").nth(0).inner_text() == "Your appeal was accepted"

    # and: the requester's profile (linked from the message) counts its appeals and answers
    console_page.locator("#messages li.message").nth(0).locator("a:has-text('Pixel Labs')").click()
    console_page.wait_for_selector("#appeal-figures")
    assert console_page.locator("#requester h1").inner_text() == "Pixel Labs"
    appeal_figures = [v.inner_text() for v in console_page.locator("#appeal-figures .value").all()]
    answer_figures = [v.inner_text() for v in console_page.locator("#answer-figures .value").all()]
    assert appeal_figures == ["2", "1", "1", "0"]  # received, accepted, declined, open
    assert answer_figures == ["33.3 %", "1", "2"]  # approval rate, approved, rejected
    screenshot(console_page, "requester-profile")
    # the one error logged is the refused empty appeal's 400, which the page put in words
    assert [e for e in console_page.console_errors if "status of 400" not in e] == []
    assert len(console_page.console_errors) == 1


def test_a_requester_the_worker_cannot_know_shows_a_plain_refusal(
    console_server, console_page, console_worker, make_requester
):
    stranger = make_requester("Hidden Corp")
    sign_in(console_page, console_worker)

    console_page.goto(f"/console/requesters/{stranger.organization.pk}")

    console_page.wait_for_selector("#requester p.bad")
    assert "No such requester for you" in console_page.inner_text("#requester")
    assert "Hidden Corp" not in console_page.inner_text("main")
