"""Selectors of the labeling app: the reads, one module per sub-domain (what a selector is:
``marketplace.selectors``). They take a job the caller fetched through an ``access_*``
function (``labeling.access``) or the principal, and import models and selectors only.

- ``automation``: a job's automated labeling: status, proof, audit, rounds over time
- ``jobs``: lists of jobs (a requester's, the jobs owning some batches) and API-posted batches
- ``objects``: a job's data objects, results, labels and confidences
- ``progress``: how far a job has come, over time, and each worker's part in it
- ``storage``: a requester's storage registrations
"""
