"""Domain services: the writes, one module per sub-domain. Views, consumers, Celery jobs and
management commands call these to change anything; none of them write models directly. Reads
that shape data for a caller are selectors (``marketplace.selectors``): a service may call a
selector, never the other way round, and no module here is read-only.
"""
