"""Simulated labeling work, end to end, for tests that drive a job: ``crowd`` (workers of known
reliability answering through the worker REST API), ``jobs`` (manifests in S3, a job run to its
output), ``output_records`` (Ground Truth output parsers), ``answers`` (simulated truth and
answers per task type) and ``scoring`` (majority-vote baselines and quality metrics). Used by
``test_end_to_end.py`` and ``test_ground_truth_output.py``.

Workers never learn the truth through the API: the test keeps ``truth`` keyed by what a worker
legitimately sees (the file name in its presigned ``source-url``, or its ``source`` text), and a
worker's answer to an object is a seeded function of (seed, worker, object), so it does not
depend on the order in which the dispatcher hands out work.
"""
