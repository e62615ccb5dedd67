"""Labeling's scrape-time metrics (marketplace/observability/scrape.py reads them when
``/metrics`` is scraped; registered by ``LabelingConfig.ready``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from .models import LabelingJob


def labeling_gauges() -> Iterator[Metric]:
    jobs = GaugeMetricFamily("groundwork_labeling_jobs", "Labeling jobs, by status", labels=["status"])
    counts = dict(LabelingJob.objects.values_list("status").annotate(count=Count("id")).order_by())
    for status in LabelingJob.Status.values:
        jobs.add_metric([status], counts.get(status, 0))
    yield jobs
