"""The requester's task API: posting, reading, ending, slots and batches."""
