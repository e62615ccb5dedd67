"""Webhook delivery: events per second to a local receiver, and the delay from commit to
delivery while workers submit 200 answers per second through the REST API.

Run:  python bench/webhooks.py [--events 3000] [--endpoints 1 4] [--rate 200] [--seconds 15]

Needs PostgreSQL (``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/groundwork_bench_webhooks``,
created if missing and wiped on every run) and Redis (``BENCH_REDIS_URL``, default
``redis://127.0.0.1:6379/1``; the run takes a Celery queue of its own).

1. Throughput: ``--events`` events are written through ``record_event`` (one per object, as
   assignments' events are) for an organization with 1 (then 4) endpoints on a receiver in
   another process; this process's senders (the same code a Celery worker runs) deliver them;
   the figure is events received per second, first write-out excluded.
2. Delay under load: uvicorn (2 processes, ``BACKGROUND_MODE=celery``) and a Celery worker
   with beat, as deployed; a load process paces claim+submit cycles at ``--rate`` per second
   for ``--seconds`` over the bench/dispatch.py client; the endpoint subscribes to
   ``assignment.submitted``. The delay of each event is its arrival at the receiver minus its
   ``created`` (stamped in the submit's transaction just before the commit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dispatch as rest_bench  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/groundwork_bench_webhooks"
WEBHOOK_ENV = {
    "WEBHOOK_ALLOW_HTTP": "1",
    "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "WEBHOOK_SUBSCRIPTION_CACHE_SECONDS": "1",
}


# --- the receiver (its own process) -------------------------------------------------------------
def _receiver_process(port_out, stop, results_out) -> None:
    """A minimal asyncio HTTP/1.1 receiver: 200 to every POST; records (path, event id,
    created, arrival time)."""
    received: list[tuple[str, str, str, float]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                arrived = time.time()
                event = json.loads(body)
                received.append((request_line.split()[1].decode(), event["id"], event["created"], arrived))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port_out.send(server.sockets[0].getsockname()[1])
        while not stop.is_set():
            await asyncio.sleep(0.05)
            if results_out.poll():
                results_out.recv()
                results_out.send(list(received))
        server.close()

    asyncio.run(main())


class ReceiverProcess:
    def __init__(self) -> None:
        port_in, port_out = multiprocessing.Pipe(duplex=False)
        self.results, theirs = multiprocessing.Pipe()
        self.stop = multiprocessing.Event()
        self.process = multiprocessing.Process(target=_receiver_process, args=(port_out, self.stop, theirs))
        self.process.start()
        self.port = port_in.recv()

    def received(self) -> list[tuple[str, str, str, float]]:
        self.results.send("?")
        return self.results.recv()

    def wait_for(self, count: int, timeout: float, *, nudge=None) -> list[tuple[str, str, str, float]]:
        end = time.monotonic() + timeout
        while True:
            got = self.received()
            if len({(path, event_id) for path, event_id, _, _ in got}) >= count or time.monotonic() > end:
                return got
            if nudge is not None:
                nudge()
            time.sleep(0.1)

    def close(self) -> None:
        self.stop.set()
        self.process.join(timeout=10)


# --- part 1: throughput ---------------------------------------------------------------------------
def throughput(events: int, endpoints: int) -> tuple[float, int]:
    """Events received per second by ``endpoints`` endpoints (each gets every event)."""
    from django.db import transaction

    from marketplace.encryption import encrypt_secret
    from marketplace.events.outbox import record_event
    from marketplace.events.signing import new_secret
    from marketplace.events.sweep import senders, webhooks_deliver, webhooks_sweep
    from marketplace.models import WebhookEndpoint
    from marketplace.services.organizations import requester_create

    receiver = ReceiverProcess()
    try:
        organization = requester_create(name=f"bench-throughput-{endpoints}").organization
        for n in range(endpoints):
            WebhookEndpoint.objects.create(
                organization=organization,
                url=f"http://127.0.0.1:{receiver.port}/e{n}",
                events=["*"],
                secret_encrypted=encrypt_secret(new_secret()),
            )
        data = {"id": 0, "task_id": 1, "worker_id": 2, "status": "submitted", "answer": {"label": "cat"}}
        for start in range(0, events, 500):
            with transaction.atomic():
                for i in range(start, min(events, start + 500)):
                    record_event(
                        organization_id=organization.pk,
                        event_type="assignment.submitted",
                        data={**data, "id": i},
                        ordering_key=f"assignment:{i}",
                    )
        started = time.monotonic()
        webhooks_deliver()
        got = receiver.wait_for(events * endpoints, timeout=600, nudge=webhooks_sweep)
        elapsed = time.monotonic() - started
        while not senders.idle():
            time.sleep(0.05)
        return len(got) / elapsed, len({(p, e) for p, e, _, _ in got})
    finally:
        receiver.close()


# --- part 2: delay under load ---------------------------------------------------------------------
def start_celery(url: str, redis_url: str, extra_env: dict[str, str]) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-B",
            "--pool",
            "solo",
            "-Q",
            extra_env["CELERY_QUEUE"],
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--schedule",
            f"/tmp/groundwork-bench-webhooks-beat-{os.getpid()}",
        ],
        cwd=ROOT,
        env=env,
    )


async def _paced(port: int, tokens: list[str], rate: float, seconds: float) -> tuple[int, int, float]:
    idle: asyncio.Queue = asyncio.Queue()
    for token in tokens:
        idle.put_nowait(rest_bench.RawHttpClient(port, token))
    answer = json.dumps({"answer": {"label": "x"}}).encode()
    counts = [0, 0]

    async def cycle() -> None:
        client = await idle.get()
        try:
            status, body = await client.post("/api/v1/worker/tasks/next")
            if status != 200:
                counts[1] += 1
                return
            assignment_id = json.loads(body)["assignment_id"]
            status, _ = await client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", answer)
            counts[0 if status == 200 else 1] += 1
        finally:
            idle.put_nowait(client)

    started = time.monotonic()
    running = []
    total = int(rate * seconds)
    for i in range(total):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        running.append(asyncio.ensure_future(cycle()))
    await asyncio.gather(*running)
    return counts[0], counts[1], time.monotonic() - started


def _load(port: int, tokens: list[str], rate: float, seconds: float, queue) -> None:
    queue.put(asyncio.run(_paced(port, tokens, rate, seconds)))


def delay_under_load(url: str, redis_url: str, rate: float, seconds: float) -> dict:
    from marketplace.encryption import encrypt_secret
    from marketplace.events.signing import new_secret
    from marketplace.inputs.tasks import task_spec
    from marketplace.models import WebhookEndpoint
    from marketplace.services.ledger import deposit
    from marketplace.services.organizations import requester_create
    from marketplace.services.tasks import tasks_post
    from marketplace.services.workers import worker_create

    receiver = ReceiverProcess()
    requester = requester_create(name="bench-load")
    deposit(organization_id=requester.organization.pk, amount_micros=10**12, reference="bench-load")
    WebhookEndpoint.objects.create(
        organization=requester.organization,
        url=f"http://127.0.0.1:{receiver.port}/hook",
        events=["assignment.submitted"],
        secret_encrypted=encrypt_secret(new_secret()),
    )
    cycles = int(rate * seconds)
    tokens = [worker_create(username=f"bench-load-{i}")[1] for i in range(64)]
    spec = task_spec({"title": "bench", "input": {"text": "x"}, "slots": 3, "reward": "0.01"})
    for start in range(0, cycles // 3 + 64, 1000):
        tasks_post(requester=requester.organization, specs=[spec] * min(1000, cycles // 3 + 64 - start))
    extra = {
        "REDIS_URL": redis_url,
        "BACKGROUND_MODE": "celery",
        "CELERY_QUEUE": f"bench-webhooks-{os.getpid()}",
        "SWEEP_INTERVAL_SECONDS": "2",
        **WEBHOOK_ENV,
    }
    port = rest_bench.free_port()
    server = rest_bench.start_server(url, 2, port, extra)
    celery = start_celery(url, redis_url, extra)
    try:
        time.sleep(3)  # the worker connects to Redis
        queue = multiprocessing.Queue()
        loader = multiprocessing.Process(target=_load, args=(port, tokens, rate, seconds, queue))
        loader.start()
        submitted, missed, elapsed = queue.get()
        loader.join()
        got = receiver.wait_for(submitted, timeout=120)
    finally:
        for process in (server, celery):
            process.terminate()
        for process in (server, celery):
            process.wait(timeout=30)
        receiver.close()
    first_arrival: dict[str, tuple[str, float]] = {}
    for _, event_id, created, arrived in got:
        if event_id not in first_arrival or arrived < first_arrival[event_id][1]:
            first_arrival[event_id] = (created, arrived)
    delays = sorted(
        arrived - datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
        for created, arrived in first_arrival.values()
    )
    quantiles = statistics.quantiles(delays, n=100) if len(delays) > 1 else (delays or [float("nan")]) * 99
    return {
        "submits_per_second": submitted / elapsed,
        "elapsed": elapsed,
        "submitted": submitted,
        "missed_cycles": missed,
        "delivered": len(first_arrival),
        "duplicates": len(got) - len(first_arrival),
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "max_ms": delays[-1] * 1000 if delays else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--endpoints", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
    rest_bench.ensure_database(url)
    os.environ.update(WEBHOOK_ENV)
    os.environ["SECRET_KEY"] = "bench-only-secret"  # the servers' key: they decrypt the endpoints' secrets
    rest_bench.setup_django(url)

    print(f"webhooks bench on {os.cpu_count()} CPUs (shared); PostgreSQL {url.rsplit('/', 1)[-1]}, Redis {redis_url}")
    for endpoints in args.endpoints:
        rate, delivered = throughput(args.events, endpoints)
        print(
            f"throughput: {args.events} events x {endpoints} endpoint(s) -> {delivered} delivered, "
            f"{rate:.0f} deliveries/s (one sender per endpoint, this process's pool)"
        )
    result = delay_under_load(url, redis_url, args.rate, args.seconds)
    print(
        f"under load: {result['submits_per_second']:.0f} submits/s over {result['elapsed']:.0f} s "
        f"(target {args.rate:g}; "
        f"{result['submitted']} submitted, {result['missed_cycles']} cycles without work or refused) -> "
        f"{result['delivered']} assignment.submitted events delivered ({result['duplicates']} duplicates)"
    )
    print(
        f"commit->delivery delay: p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, "
        f"max {result['max_ms']:.0f} ms (uvicorn x2 + Celery worker with beat, one endpoint)"
    )


if __name__ == "__main__":
    main()
