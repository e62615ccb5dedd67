"""A labeling job's life: ingest, storage boundaries, stop, expiry, stopping conditions,
redundancy."""
