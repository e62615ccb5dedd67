"""Domain services (writes), one module per sub-domain. Views, consumers, Celery tasks and
management commands all call these; none of them write models directly."""
