"""Requesters' storage (file:// and s3://): parsing, access, reading, writing, presigned URLs,
registration."""
