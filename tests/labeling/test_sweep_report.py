"""What a sweep pass reports, and so what the server's console shows (issue 21): a job looked
at with nothing new is not "advanced", and a pass logs at INFO only when it changed something."""

from __future__ import annotations

import logging

from labeling.services.sweeps import LabelingSweepReport, run_labeling_sweeps
from marketplace.background import sweep_report_log

from .test_background_passes import _answer_everything_cat, _post_job, folder  # noqa: F401  (fixture)


def test_a_job_with_no_new_answers_is_not_counted_as_advanced(requester, folder, make_worker):  # noqa: F811
    # given an ingested job with no answers yet
    _post_job(requester)
    assert run_labeling_sweeps().jobs_ingested == 1
    # when passes find nothing new
    idle = [run_labeling_sweeps() for _ in range(2)]
    # then they report nothing
    assert idle == [LabelingSweepReport(jobs_ingested=0, jobs_advanced=0, jobs_ended=0)] * 2

    # when answers arrive, the next pass consolidates them and counts the job once
    _answer_everything_cat(make_worker())
    busy = run_labeling_sweeps()
    after = run_labeling_sweeps()
    # then
    assert busy.jobs_advanced == 1
    assert after == LabelingSweepReport(jobs_ingested=0, jobs_advanced=0, jobs_ended=0)


def test_a_pass_logs_at_info_only_when_it_changed_something(caplog):
    caplog.set_level(logging.DEBUG, logger="marketplace.background")
    # when
    sweep_report_log("labeling", LabelingSweepReport(jobs_ingested=0, jobs_advanced=0, jobs_ended=0))
    sweep_report_log("labeling", LabelingSweepReport(jobs_ingested=0, jobs_advanced=2, jobs_ended=1))
    # then
    assert [(record.levelname, record.getMessage()) for record in caplog.records] == [
        ("DEBUG", "sweep labeling: nothing to do"),
        ("INFO", "sweep labeling: jobs_advanced=2, jobs_ended=1"),
    ]
