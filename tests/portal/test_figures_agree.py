"""The same figure reads the same on every page that shows it, and as the API shows it (issue
21, item 4). One world (the demo of ``./scripts/serve`` plus a job sent to the demo vendor's
team over the API), every page rendered, the marked figures read side by side."""

from __future__ import annotations

import io
import re

import pytest

from labeling.models import LabelingJob

from .demo_world import build_demo_world, chart_counts, figures_of, one_figure

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path, storage_root):
    return build_demo_world(settings, tmp_path / "data")


def test_objects_labeled_agree_on_the_dashboard_the_job_page_its_charts_and_the_api(world):
    # given: the demo job the simulated crowd partly answered
    job_id = world.credentials["answered_labeling_job"]["id"]
    portal = world.requester_portal()
    # when
    dashboard = portal.get("/portal/requester/").content.decode()
    page = portal.get(f"/portal/requester/jobs/{job_id}").content.decode()
    api = world.requester_api.get(f"/api/v1/labeling-jobs/{job_id}").json()
    # then
    labeled = api["label_counters"]["human_labeled"]
    total = labeled + api["label_counters"]["failed"] + api["label_counters"]["unlabeled"]
    assert 0 < labeled < total  # partly labeled: the demo shows a job in progress
    on_dashboard = one_figure(dashboard, "objects-labeled", data_job_id=str(job_id))
    on_page = one_figure(page, "objects-labeled")
    assert (int(on_dashboard.attrs["data-value"]), int(on_dashboard.attrs["data-total"])) == (labeled, total)
    assert (int(on_page.attrs["data-value"]), int(on_page.attrs["data-total"])) == (labeled, total)
    percent = f"({100 * labeled // total} %)"
    assert percent in on_dashboard.text and f"objects labeled {percent}" in page
    # a single-label job: each labeled object counts once per chart
    assert sum(chart_counts(page, "label-chart")) == labeled
    assert sum(chart_counts(page, "confidence-chart")) == labeled


def test_the_demo_confidences_spread(world):
    job_id = world.credentials["answered_labeling_job"]["id"]
    page = world.requester_portal().get(f"/portal/requester/jobs/{job_id}").content.decode()
    confidences = {float(value) for value in re.findall(r'<td class="num">(0\.\d\d|1\.00)</td>', page)}
    assert len(confidences) >= 3, confidences  # not every object at one confidence
    assert len([count for count in chart_counts(page, "confidence-chart") if count]) >= 2


def test_answers_agree_on_both_job_pages_the_vendor_dashboard_and_the_api(world):
    # given: the job sent to the vendor's team, two of its three objects answered
    job = LabelingJob.objects.get(pk=world.vendor_job_id)
    # when
    requester_page = world.requester_portal().get(f"/portal/requester/jobs/{job.pk}").content.decode()
    vendor_portal = world.vendor_portal()
    vendor_page = vendor_portal.get(f"/portal/vendor/jobs/{job.pk}").content.decode()
    dashboard = vendor_portal.get("/portal/vendor/").content.decode()
    batch = world.requester_api.get(f"/api/v1/batches/{job.batch_id}").json()
    # then
    answered = sum(batch["assignments"][status] for status in ("submitted", "approved", "rejected"))
    assert answered == 2
    figures = [
        one_figure(requester_page, "answers"),
        one_figure(vendor_page, "answers"),
        one_figure(dashboard, "answers", data_batch_id=str(job.batch_id)),
    ]
    assert {(f.attrs["data-value"], f.attrs["data-total"]) for f in figures} == {("2", "3")}
    recent = [one_figure(requester_page, "answers-recent"), one_figure(vendor_page, "answers-recent")]
    assert {(f.attrs["data-value"], f.attrs["data-total"]) for f in recent} == {("2", "2")}
    assert {one_figure(p, "objects-labeled").attrs["data-value"] for p in (requester_page, vendor_page)} == {"2"}
    assert "3 tasks × 1 answer each = 3 wanted when the job started." in vendor_page


def test_answers_of_a_batch_posted_through_the_api_agree_for_requester_and_vendor(world):
    # given: the demo's four transcriptions on the vendor team, two answered by seeding
    batch_id = next(
        b["id"]
        for b in world.requester_api.get("/api/v1/batches").json()["results"]
        if b["workteam_id"] == world.credentials["vendor"]["workteam_id"]
        and not LabelingJob.objects.filter(batch_id=b["id"]).exists()
    )
    # when
    requester_dashboard = world.requester_portal().get("/portal/requester/").content.decode()
    vendor_dashboard = world.vendor_portal().get("/portal/vendor/").content.decode()
    batch = world.requester_api.get(f"/api/v1/batches/{batch_id}").json()
    # then
    answered = sum(batch["assignments"][status] for status in ("submitted", "approved", "rejected"))
    for page in (requester_dashboard, vendor_dashboard):
        figure = one_figure(page, "answers", data_batch_id=str(batch_id))
        assert (int(figure.attrs["data-value"]), int(figure.attrs["data-total"])) == (answered, 4) == (2, 4)
        assert "2 / 4" in figure.text


def test_the_answers_wanted_are_explained_when_dynamic_redundancy_adds_slots(world):
    job_id = world.credentials["answered_labeling_job"]["id"]
    page = world.requester_portal().get(f"/portal/requester/jobs/{job_id}").content.decode()
    answers = one_figure(page, "answers")
    extra = int(answers.attrs["data-total"]) - 16 * 3
    assert extra > 0  # the demo's unsure objects each asked for one more answer
    assert "16 tasks × 3 answers each = 48 wanted when the job started." in page
    assert f"+ {extra} answer{'s' if extra > 1 else ''} added since: dynamic redundancy asks an object" in page


def test_each_workers_accuracy_reads_the_same_on_team_pages_job_pages_and_the_api(world):
    # given: the simulated crowd (private team "Demo labelers") and the vendor's worker
    job_id = world.credentials["answered_labeling_job"]["id"]
    team_id = world.credentials["answered_labeling_job"]["workteam_id"]
    team_page = world.requester_portal().get(f"/portal/requester/teams/{team_id}").content.decode()
    job_page = world.requester_portal().get(f"/portal/requester/jobs/{job_id}").content.decode()
    vendor_team = world.vendor_portal().get("/portal/vendor/team").content.decode()
    worker_ids = sorted(
        int(f.parents[-1]["data-worker-id"])
        for f in figures_of(team_page)
        if f.attrs.get("data-figure") == "quality-score"
    )
    assert len(worker_ids) == 4
    for worker_id in worker_ids:
        reputation = world.requester_api.get(f"/api/v1/workers/{worker_id}/reputation").json()
        # then: the quality score is the API's score.low, the approval rate the API's, by one name
        quality = one_figure(team_page, "quality-score", data_worker_id=str(worker_id)).text.strip()
        assert quality == f"{reputation['score']['low']:.1f} %"
        approval = one_figure(team_page, "approval-rate", data_worker_id=str(worker_id)).text.strip()
        assert approval == f"{reputation['approval_rate']:.1f} %"
        # and the job page's estimate in this job (its only job) is the API's estimated accuracy
        estimated = one_figure(job_page, "estimated-accuracy", data_worker_id=str(worker_id)).text.strip()
        assert estimated == f"{reputation['estimated']['accuracy']:.1f} %"
    assert "Quality score: a cautious estimate" in team_page and "Estimated accuracy in this job:" in job_page
    assert "docs/" not in team_page and "docs/" not in job_page  # words, not repository paths
    vendor_worker_id = world.credentials["vendor"]["worker"]["worker_id"]
    reputation = world.requester_api.get(f"/api/v1/workers/{vendor_worker_id}/reputation").json()
    shown = one_figure(vendor_team, "quality-score", data_worker=str(vendor_worker_id)).text.strip()
    assert shown == (
        "–"
        if reputation["score"]["low"] is None or not reputation["score"]["evidence"]
        else f"{reputation['score']['low']:.1f} %"
    )
    assert "Quality score: a cautious estimate" in vendor_team


def test_the_vendor_dashboards_throughput_card_and_chart_agree(world):
    dashboard = world.vendor_portal().get("/portal/vendor/").content.decode()
    card = one_figure(dashboard, "answers-recent")
    bars = chart_counts(dashboard, "throughput-chart")
    rows = [f for f in figures_of(dashboard) if f.attrs.get("data-figure") == "answers"]
    assert int(card.attrs["data-value"]) == bars[-1] == 4  # 2 demo transcriptions + 2 job answers
    assert int(card.attrs["data-total"]) == sum(bars) == 4
    assert sum(int(row.attrs["data-value"]) for row in rows) == 4  # every answer is on active work here
    assert one_figure(dashboard, "work-in-progress").attrs["data-value"] == "2"
    assert "jobs or batches in progress" in dashboard and "Last hour: 4 answers; last 24 hours: 4 answers." in dashboard


def test_the_balance_agrees_on_the_dashboard_the_balance_page_and_the_api(world):
    portal = world.requester_portal()
    api = world.requester_api.get("/api/v1/balance").json()
    for path in ("/portal/requester/", "/portal/requester/balance"):
        page = portal.get(path).content.decode()
        assert one_figure(page, "balance-available").attrs["data-value"] == api["available"]
        assert one_figure(page, "balance-on-hold").attrs["data-value"] == api["on_hold"]


def test_seeding_the_demo_again_changes_nothing(world):
    from django.core.management import call_command

    from marketplace.models import Assignment, LedgerEntry

    before = (LabelingJob.objects.count(), Assignment.objects.count(), LedgerEntry.objects.count())
    call_command("seed_labeling_demo", stdout=io.StringIO())
    assert (LabelingJob.objects.count(), Assignment.objects.count(), LedgerEntry.objects.count()) == before
