"""The realtime layer's database threads.

Database work of worker sockets runs on threads of its own (not the one thread Django keeps for
sync views), so sockets do not queue behind each other; the pools cap how many connections they
hold. Answers (submit, return) get threads of their own, so an ack never queues behind a burst
of claim attempts after a hint.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import close_old_connections

claim_threads = ThreadPoolExecutor(
    max_workers=settings.GROUNDWORK["REALTIME_DATABASE_THREADS"], thread_name_prefix="gw-realtime-claim"
)
answer_threads = ThreadPoolExecutor(
    max_workers=max(2, settings.GROUNDWORK["REALTIME_DATABASE_THREADS"] // 2), thread_name_prefix="gw-realtime-answer"
)


def on_database_thread(function: Callable, executor: ThreadPoolExecutor = claim_threads) -> SyncToAsync:
    """Run ``function`` on a realtime database thread, its connection released afterwards.

    The release runs inside the call (not around it, as Channels' ``database_sync_to_async``
    does): with ``thread_sensitive=False`` the call runs in a copied context, where Django's
    connection lives, and a release outside it would see no connection and leave it open.
    """

    @functools.wraps(function)
    def call_and_release(*args, **kwargs):
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return SyncToAsync(call_and_release, thread_sensitive=False, executor=executor)
