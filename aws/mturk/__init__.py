"""Mechanical Turk's requester operations (``MTurkRequesterServiceV20170117.*``), one module per area."""
