"""What an operator sees of a running Groundwork (docs/operations.md).

- ``context``: the request id of the work in hand (an HTTP request, a websocket message, a
  Celery job), carried in a context variable.
- ``logs``: one line per record, JSON or text, each with the request id.
- ``metrics``: the counters and histograms the serving processes keep (Prometheus, summed
  across processes through ``multiprocess``'s directory); ``scrape``: the gauges read from
  PostgreSQL and Redis when ``/metrics`` is scraped, never on the hot path (other apps add
  theirs through ``sources``); ``views``: the ``/metrics`` route and who may read it.
- ``asgi``: the wrappers that time, count and log every HTTP request and websocket message.
- ``jobs``: the request id through Celery (task headers and signals), and each job's run;
  ``local_jobs``: the same for the in-process background thread.
"""
