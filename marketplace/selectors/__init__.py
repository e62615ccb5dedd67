"""Selectors: the reads, one module per sub-domain (as in the HackSoft Django styleguide).

A selector is a typed function that reads the database and returns model instances, a
queryset, or plain values shaped for its callers, and writes nothing. Its docstring states its
contract: what it returns, in which order, and what it leaves out. It takes the principal (a
requester, vendor or worker) or an object the caller already fetched through an ``access_*``
function (``marketplace.access``): tenancy is checked there, once, not again here.

Views, consumers, portal and console pages call selectors rather than building querysets;
services (the writes, ``marketplace.services``) may call them too. A selector imports models
and other selectors only: never a service, a view or a consumer.

- ``assignments``: assignment lists (requester's, worker's) and ended assignments
- ``batches``: a requester's batches, a batch's progress and the answer figures of batches
- ``eligibility``: the eligibility rule's result for a worker, as open tasks
- ``ledger``: balances, statements and payouts
- ``offerings``: vendor offerings and subscriptions
- ``organizations``: an organization's API keys
- ``qualifications``: qualification types, grants and blocks
- ``reputation``: the combined score and a worker's record
- ``tasks``: a requester's tasks, and workteams with open work
- ``vendor_earnings``: a vendor's earnings and monthly statements
- ``vendors``: a vendor's work in hand, throughput and team
- ``workers``: a worker's own pages, records, tokens
- ``workteams``: targetable workteams, members, invitations, private team overview
"""
