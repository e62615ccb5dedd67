"""Scrape-time metrics other apps add (``scrape.ScrapeTimeCollector`` reads them): labeling's
``AppConfig.ready`` registers its jobs by status, since the marketplace reads nothing of
labeling. Imports no models, so an app module may import it at its top."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client.core import Metric

GaugeSource = Callable[[], Iterable[Metric]]
_sources: dict[str, GaugeSource] = {}


def register_gauges(name: str, source: GaugeSource) -> None:
    """Add ``source`` (called at most once per ``METRICS_CACHE_SECONDS``, may query) as ``name``."""
    _sources[name] = source


def registered_sources() -> dict[str, GaugeSource]:
    return dict(_sources)
