"""In headless Chromium: the requester's job page shows a job's automated labeling, human against
machine labels over the rounds and the audit, after a real job ran (workers answering over the
worker API, rounds in the background passes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labeling.services.storage_registration import storage_register
from marketplace.models import Membership
from tests.labeling.automated_jobs.helpers import (
    LABELS,
    OBJECTS,
    drive,
    job_body,
    manifest_lines,
    predicted,
    start_job,
    text,
)

pytestmark = pytest.mark.django_db(transaction=True)


class Folder:
    """A registered ``file://`` folder with the bucket methods the job helpers use."""

    def __init__(self, root: Path, name: str) -> None:
        self.root, self.name = root / name, name
        self.root.mkdir(exist_ok=True)  # registering a folder prepares it

    def uri(self, key: str = "") -> str:
        return f"file://{self.name}/{key}"

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_the_job_page_shows_human_against_machine_labels_and_the_audit(
    page, live_server, screenshot_dir, storage_root, make_requester, make_worker, settings
):
    # given: a job whose requester predictions are right and confident ran to its end
    settings.GROUNDWORK = {**settings.GROUNDWORK, "WORKER_RATE_PER_SECOND": 1e6, "WORKER_RATE_BURST": 10**6}
    acme = make_requester("Acme ML")
    storage_register(organization=acme.organization, uri_prefix="file://acme/")
    folder = Folder(storage_root, "acme")
    truth = {text(i): LABELS[(i // 3) % 2] for i in range(OBJECTS)}
    lines = manifest_lines(OBJECTS, lambda i: predicted(0.96 if truth[text(i)] == "cat" else 0.04))
    job = start_job(acme, job_body(folder, lines, name="reviews"))
    job = drive(acme, job["id"], make_worker(), truth.__getitem__)
    assert job["label_counters"]["machine_labeled"] > 0
    # when: its admin opens the job page
    Membership.objects.filter(user__username=acme.admin_username).update(password_change_required=False)
    page.goto("/portal/login")
    page.fill("#id_username", acme.admin_username)
    page.fill("#id_password", acme.admin_password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/requester/")
    page.goto(f"/portal/requester/jobs/{job['id']}")
    # then
    section = page.inner_text("#automation")
    machine = job["label_counters"]["machine_labeled"]
    audit = job["automated_labeling"]["audit"]
    assert page.inner_text("[data-figure=automation-status]") == "Complete"
    assert page.inner_text("[data-figure=machine-labeled]") == str(machine)
    assert page.inner_text("[data-figure=audit]") == f"{audit['agreed']} / {audit['audited']}"
    assert page.inner_text("[data-figure=audit-verdict]") == "passing"
    assert f"${job['automated_labeling']['money_saved']}" in section
    assert page.locator("#automation-chart polyline").count() == 2
    assert page.locator("#automation-rounds tbody tr").count() == job["automated_labeling"]["rounds"]
    labeled = page.locator("[data-figure=objects-labeled]")
    assert labeled.get_attribute("data-value") == str(OBJECTS)  # machine labels count as labeled
    page.locator("#automation").screenshot(path=str(screenshot_dir / "requester-job-automation.png"))
    page.screenshot(path=str(screenshot_dir / "requester-job-automation-page.png"), full_page=True)
