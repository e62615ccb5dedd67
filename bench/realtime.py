"""Realtime dispatch at scale: workers as real websocket clients, tasks posted over REST.

Run:  python bench/realtime.py [--workers 100 1000] [--load-processes 2] [--skip-chaos] [--compare [COMMIT]]

Starts, on PostgreSQL (``BENCH_DATABASE_URL``, default ``…/groundwork_bench_rt``, wiped) and a
Redis server of its own on a free port (never the shared one): two ASGI processes (uvicorn, one
port each), a Celery worker with beat (the sweeps). Workers are asyncio websocket clients spread
over ``--load-processes`` processes, half on each ASGI process; each connects, sends ``ready``,
submits every task it is pushed at once and sends ``ready`` again; a worker whose socket drops
reconnects to either process.

For each worker count it reports:
- throughput: a backlog of 3-slot tasks (5,000 by default) posted up front, drained;
  completed assignments per second (the REST claim+submit rate of ``bench/dispatch.py`` at 32 workers is measured in the
  same run, on the same servers, for comparison);
- latency: single-slot tasks posted over REST (10 per request) at 70 % of that throughput;
  p50/p99 from the POST's 201 (the task exists) to the ``task`` message, and from ``submit``
  to ``ack``;
- the load generator's CPU share, and the invariant check (every task exactly its slots, from
  distinct workers; every acknowledged answer stored; no live assignment left behind).
Then a chaos run (100 workers): mid-run one ASGI process is killed (SIGKILL) and Redis is
restarted; the survivors carry on and the same invariants are checked once all work is done.

``--compare`` (default commit ``4e1711b``, before issue 20) runs the whole bench on that commit and
then on this tree, in one run on the same machine, and prints both side by side: as in
``bench/dispatch.py --compare``, the commit is checked out with ``git worktree add`` into a
temporary directory (removed after) and each side runs this script with ``--root`` on its own
database (``BENCH_DATABASE_URL`` with ``_before`` / ``_after`` appended).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "bench"))

import dispatch as rest_bench  # noqa: E402  (it puts the tree under test, ``--root``, on the path)

ROOT = rest_bench.ROOT

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/groundwork_bench_rt"


# --- infrastructure ---------------------------------------------------------------------------
def start_redis(port: int) -> subprocess.Popen:
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxclients",
            "4000",
        ],
        stdout=subprocess.DEVNULL,
    )
    import redis as redis_client

    for _ in range(100):
        try:
            redis_client.Redis(port=port).ping()
            return redis
        except redis_client.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def server_env(redis_url: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "BACKGROUND_MODE": "celery",
        "SWEEP_INTERVAL_SECONDS": "2",
        "WEBSOCKET_MESSAGE_RATE_PER_SECOND": "1000",
        "WEBSOCKET_MESSAGE_BURST": "1000",
    }


def start_celery(url: str, redis_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        **server_env(redis_url),
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
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--schedule",
            f"/tmp/groundwork-bench-beat-{os.getpid()}",
        ],
        cwd=ROOT,
        env=env,
    )


# --- websocket workers (in load processes) ----------------------------------------------------
async def _socket_worker(ports: list[int], index: int, token: str, stop, stats: dict) -> None:
    import websockets

    headers = {"Authorization": f"Bearer {token}"}
    first = index % len(ports)
    attempt = 0
    while not stop.is_set():
        port = ports[(first + attempt) % len(ports)]
        try:
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/ws/worker/", additional_headers=headers, open_timeout=10, ping_interval=None
            ) as socket:
                attempt = 0
                await socket.send('{"type":"ready"}')
                sent_at: dict[int, float] = {}
                async for frame in socket:  # until the fleet stops (``_load_process`` cancels it)
                    message = json.loads(frame)
                    kind = message["type"]
                    if kind == "task":
                        stats["received"].append((message["task_id"], time.time()))
                        assignment_id = message["assignment_id"]
                        sent_at[assignment_id] = time.monotonic()
                        await socket.send(
                            json.dumps(
                                {"type": "submit", "assignment_id": assignment_id, "answer": {"label": f"w{index}"}}
                            )
                        )
                    elif kind == "ack":
                        assignment_id = message["assignment_id"]
                        stats["acked"].append(assignment_id)
                        if assignment_id in sent_at:
                            stats["ack_latency"].append(time.monotonic() - sent_at.pop(assignment_id))
                        await socket.send('{"type":"ready"}')
                    elif kind == "error":
                        stats["errors"].append(message["code"])
                        await asyncio.sleep(0.2)
                        await socket.send('{"type":"ready"}')
                    elif kind == "expired":
                        stats["expired"] += 1
        except (TimeoutError, OSError, websockets.WebSocketException):
            pass
        # the connection failed or ended (a clean close ends the ``async for``): connect again
        stats["reconnects"] += 1
        attempt += 1
        await asyncio.sleep(0.2 + random.random() * 0.3)


def _load_process(ports: list[int], workers: list[tuple[int, str]], stop, ready, results) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stats = {"received": [], "acked": [], "ack_latency": [], "errors": [], "expired": 0, "reconnects": 0}

    class _Stop:  # the multiprocessing event, polled without blocking the loop
        def is_set(self) -> bool:
            return stop.is_set()

    async def main():
        tasks = [asyncio.create_task(_socket_worker(ports, index, token, _Stop(), stats)) for index, token in workers]
        ready.release()
        # One poll of the stop event for the whole process, not a timeout on every receive (a
        # task and a timer per message cost the load generator a quarter of a core at 1,000 workers).
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    started = time.process_time()
    asyncio.run(main())
    stats["cpu_seconds"] = time.process_time() - started
    results.put(stats)


class WorkerFleet:
    """Websocket workers spread over a few load processes."""

    def __init__(self, ports: list[int], tokens: list[str], processes: int) -> None:
        self.stop = multiprocessing.Event()
        self.results = multiprocessing.Queue()
        ready = multiprocessing.Semaphore(0)
        indexed = list(enumerate(tokens))
        self.processes = [
            multiprocessing.Process(
                target=_load_process, args=(ports, indexed[i::processes], self.stop, ready, self.results)
            )
            for i in range(processes)
        ]
        self.started = time.monotonic()
        for process in self.processes:
            process.start()
        for _ in self.processes:
            ready.acquire()

    def finish(self) -> dict:
        self.stop.set()
        parts = [self.results.get(timeout=120) for _ in self.processes]
        for process in self.processes:
            process.join(timeout=30)
        wall = time.monotonic() - self.started
        merged = {
            key: [item for part in parts for item in part[key]]
            for key in ("received", "acked", "ack_latency", "errors")
        }
        merged["expired"] = sum(part["expired"] for part in parts)
        merged["reconnects"] = sum(part["reconnects"] for part in parts)
        merged["cpu_share"] = sum(part["cpu_seconds"] for part in parts) / wall / (os.cpu_count() or 1)
        return merged


# --- posting over REST ------------------------------------------------------------------------
async def post_tasks(
    port: int, api_key: str, *, count: int, per_request: int, rate: float | None, slots: int
) -> dict[int, float]:
    """Post ``count`` tasks; returns task id → when its POST was answered (201)."""
    client = rest_bench.RawHttpClient(port, api_key)
    posted: dict[int, float] = {}
    interval = per_request / rate if rate else 0.0
    next_at = time.monotonic()
    body_item = {
        "title": "bench",
        "reward": "0.01",
        "slots": slots,
        "assignment_duration_seconds": 120,
        "input": {"text": "x"},
    }
    try:
        while len(posted) < count:
            batch = min(per_request, count - len(posted))
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
            status, body = await client.post("/api/v1/tasks", json.dumps([body_item] * batch).encode())
            created_at = time.time()  # the 201: the tasks exist from here on
            if status != 201:
                raise RuntimeError(f"posting failed: {status} {body[:200]!r}")
            for task in json.loads(body):
                posted[task["id"]] = created_at
    finally:
        client.close()
    return posted


# --- checks -----------------------------------------------------------------------------------
def wait_until_done(task_ids: set[int], timeout: float) -> float:
    from marketplace.models import Task

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not Task.objects.filter(pk__in=task_ids).exclude(status="complete").exists():
            return time.monotonic() - started
        time.sleep(0.2)
    return float("nan")


def check_invariants(task_ids: set[int], acked: list[int]) -> str:
    from django.db.models import Count, Q

    from marketplace.models import Assignment, Task

    problems = []
    tasks = Task.objects.filter(pk__in=task_ids).annotate(
        submitted=Count("assignments", filter=Q(assignments__status="submitted")),
        workers=Count("assignments__worker", filter=Q(assignments__status="submitted"), distinct=True),
    )
    for task in tasks:
        if not (task.status == "complete" and task.submitted == task.workers == task.slots == task.slots_submitted):
            problems.append(f"task {task.pk}: {task.status} {task.submitted}/{task.slots} by {task.workers}")
    stranded = Assignment.objects.filter(task_id__in=task_ids, status="accepted").count()
    if stranded:
        problems.append(f"{stranded} live assignments left")
    stored = set(Assignment.objects.filter(task_id__in=task_ids, status="submitted").values_list("pk", flat=True))
    lost = set(acked) - stored
    if lost:
        problems.append(f"{len(lost)} acknowledged answers missing")
    if len(acked) != len(set(acked)):
        problems.append("an assignment was acknowledged twice")
    return "OK" if not problems else "FAILED: " + "; ".join(problems[:5])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latencies(posted: dict[int, float], received: list[tuple[int, float]]) -> list[float]:
    return [at - posted[task_id] for task_id, at in received if task_id in posted]


# --- the runs ---------------------------------------------------------------------------------
def run_worker_count(ports, tokens, api_key, processes, backlog_tasks, latency_seconds) -> dict:
    fleet = WorkerFleet(ports, tokens, processes)
    time.sleep(2)  # let every socket connect and go idle
    # throughput: a backlog drained as fast as the fleet can
    started = time.monotonic()
    backlog = asyncio.run(post_tasks(ports[0], api_key, count=backlog_tasks, per_request=500, rate=None, slots=3))
    drained = wait_until_done(set(backlog), timeout=600)
    throughput = 3 * len(backlog) / (time.monotonic() - started) if drained == drained else float("nan")
    # latency: single-slot tasks at 70 % of that rate
    rate = 0.7 * throughput
    count = int(rate * latency_seconds)
    trickle = asyncio.run(post_tasks(ports[0], api_key, count=count, per_request=10, rate=rate, slots=1))
    wait_until_done(set(trickle), timeout=300)
    stats = fleet.finish()
    all_tasks = set(backlog) | set(trickle)
    to_task = latencies(trickle, stats["received"])
    return {
        "throughput": throughput,
        "rate": rate,
        "p50_task": percentile(to_task, 0.5),
        "p99_task": percentile(to_task, 0.99),
        "p50_ack": percentile(stats["ack_latency"], 0.5),
        "p99_ack": percentile(stats["ack_latency"], 0.99),
        "cpu_share": stats["cpu_share"],
        "errors": len(stats["errors"]),
        "invariants": check_invariants(all_tasks, stats["acked"]),
    }


def chaos_run(url, redis_port, servers, ports, tokens, api_key, processes, rate) -> dict:
    fleet = WorkerFleet(ports, tokens, processes)
    time.sleep(2)

    async def post_and_break():
        posting = asyncio.create_task(
            post_tasks(ports[0], api_key, count=int(rate * 30), per_request=10, rate=rate, slots=3)
        )
        await asyncio.sleep(8)
        os.kill(servers[1].pid, signal.SIGKILL)  # an ASGI process dies with its sockets
        await asyncio.sleep(4)
        redis = subprocess.run(["redis-cli", "-p", str(redis_port), "shutdown", "nosave"], capture_output=True)
        await asyncio.sleep(1)
        restarted = start_redis(redis_port)
        return await posting, redis.returncode, restarted

    posted, _, restarted = asyncio.run(post_and_break())
    drained = wait_until_done(set(posted), timeout=180)
    stats = fleet.finish()
    return {
        "tasks": len(posted),
        "drain_seconds": drained,
        "reconnects": stats["reconnects"],
        "errors": len(stats["errors"]),
        "invariants": check_invariants(set(posted), stats["acked"]),
        "redis": restarted,
    }


def measure(args: argparse.Namespace, url: str) -> dict:
    """The whole bench on this tree's code: the REST figure, each worker count, the chaos run."""
    results: dict = {"rows": {}}
    rest_bench.ensure_database(url)
    rest_bench.setup_django(url)
    tokens, api_key = rest_bench.seed(max(args.workers) + 32, tasks=0)
    rest_tokens, tokens = tokens[-32:], tokens[:-32]  # REST workers never open a socket
    redis_port = rest_bench.free_port()
    redis = start_redis(redis_port)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    ports = [rest_bench.free_port(), rest_bench.free_port()]
    servers = [rest_bench.start_server(url, 1, port, server_env(redis_url)) for port in ports]
    celery = start_celery(url, redis_url)
    results["redis_port"] = redis_port
    try:
        # the REST figure, same servers, same run (a backlog the 32 REST workers can't exhaust)
        asyncio.run(post_tasks(ports[0], api_key, count=5000, per_request=1000, rate=None, slots=3))
        results["rest"], _, _ = rest_bench.rest_rate(ports, rest_tokens, 10)
        from marketplace.models import Task

        Task.objects.filter(status__in=["open", "full"]).update(status="stopped")  # not for the sockets
        throughput_100 = None
        for count in args.workers:
            result = run_worker_count(
                ports, tokens[:count], api_key, args.load_processes, args.backlog_tasks, args.latency_seconds
            )
            throughput_100 = throughput_100 or result["throughput"]
            results["rows"][count] = result
            if not args.json:
                print_row(count, result, results["rest"])
        if not args.skip_chaos:
            result = chaos_run(
                url,
                redis_port,
                servers,
                ports,
                tokens[:100],
                api_key,
                args.load_processes,
                rate=0.3 * (throughput_100 or 30) / 3,
            )
            redis = result.pop("redis")
            results["chaos"] = result
    finally:
        for process in [*servers, celery]:
            if process.poll() is None:
                process.terminate()
        for process in [*servers, celery]:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.terminate()
        subprocess.run(["redis-cli", "-p", str(redis_port), "shutdown", "nosave"], capture_output=True)
    return results


HEADER = (
    f"{'workers':>7} | {'completed/s':>11} | {'vs REST':>7} | {'post rate':>9} "
    f"| {'post→task p50/p99 ms':>20} "
    f"| {'submit→ack p50/p99 ms':>21} | {'load CPU':>8} | {'errors':>6} | invariants"
)


def print_row(count: int, result: dict, rest: float, label: str = "") -> None:
    print(
        f"{label}{count:>7} | {result['throughput']:>11.1f} | {result['throughput'] / rest:>6.1f}x | "
        f"{result['rate']:>8.1f}/s | {result['p50_task'] * 1e3:>9.0f} / {result['p99_task'] * 1e3:<8.0f} | "
        f"{result['p50_ack'] * 1e3:>10.0f} / {result['p99_ack'] * 1e3:<8.0f} | {result['cpu_share']:>7.0%} "
        f"| {result['errors']:>6} | {result['invariants']}"
    )


def print_chaos(result: dict, label: str = "") -> None:
    print(
        f"{label}chaos (100 workers; one ASGI process SIGKILLed at 8 s, Redis restarted at 12 s): "
        f"{result['tasks']} tasks × 3 slots, all done {result['drain_seconds']:.1f} s after posting "
        f"ended, {result['reconnects']} reconnects, {result['errors']} errors; invariants "
        f"{result['invariants']}"
    )


def compare(args: argparse.Namespace, url: str) -> None:
    """The bench on ``args.compare`` (a commit), then on this tree; both printed side by side."""
    import tempfile

    commit = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", args.compare], check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = Path(tempfile.mkdtemp(prefix="gw-before-")) / "tree"
    subprocess.run(["git", "-C", str(HERE), "worktree", "add", "-q", "--detach", str(tree), commit], check=True)
    sides = {}
    try:
        for side, root in (("before", tree), ("after", HERE)):
            command = [sys.executable, str(Path(__file__).resolve()), "--root", str(root), "--json"]
            command += ["--workers", *map(str, args.workers), "--load-processes", str(args.load_processes)]
            command += ["--backlog-tasks", str(args.backlog_tasks), "--latency-seconds", str(args.latency_seconds)]
            command += ["--skip-chaos"] if args.skip_chaos else []
            env = {**os.environ, "BENCH_DATABASE_URL": f"{url}_{side}"}
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode:
                sys.stderr.write(done.stderr[-4000:])
                raise SystemExit(f"the {side} side failed")
            sides[side] = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(tree)], check=False)
    print(
        f"realtime bench, before ({commit}) and after (this tree) in one run: 2 ASGI processes + Celery "
        f"worker/beat, PostgreSQL, own Redis, {os.cpu_count()} cores, {args.load_processes} load processes"
    )
    for side in ("before", "after"):
        print(f"{side:>6}: REST claim+submit (32 workers over both ASGI processes): {sides[side]['rest']:.1f}/s")
    print(f"{'':8}{HEADER}")
    for count in args.workers:
        for side in ("before", "after"):
            print_row(count, sides[side]["rows"][str(count)], sides[side]["rest"], label=f"{side:>6}: ")
        ratio = sides["after"]["rows"][str(count)]["throughput"] / sides["before"]["rows"][str(count)]["throughput"]
        print(f"{'':8}{count:>7} workers: completed/s after/before {ratio:.2f}x")
    if not args.skip_chaos:
        for side in ("before", "after"):
            print_chaos(sides[side]["chaos"], label=f"{side:>6}: ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--load-processes", type=int, default=2)
    # 5,000 tasks (15,000 assignments) make the run long enough that the figure is the fleet's
    # steady rate, not the first second's burst of 1,000 sockets waking at once plus the backlog's POST.
    parser.add_argument("--backlog-tasks", type=int, default=5000, help="3-slot tasks per throughput run")
    parser.add_argument("--latency-seconds", type=float, default=15)
    parser.add_argument("--skip-chaos", action="store_true")
    parser.add_argument(
        "--compare",
        nargs="?",
        const=rest_bench.BEFORE_COMMIT,
        metavar="COMMIT",
        help=f"run on COMMIT (default {rest_bench.BEFORE_COMMIT}) and on this tree in one run, side by side",
    )
    parser.add_argument("--root", help="the code tree to measure (set by --compare)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line (for --compare)")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if args.compare:
        compare(args, url)
        return
    if not args.json:
        print(
            "realtime bench: 2 ASGI processes + Celery worker/beat, PostgreSQL, own Redis, "
            f"{os.cpu_count()} cores, {args.load_processes} load processes"
        )
        print(HEADER)
    results = measure(args, url)
    if args.json:
        print(json.dumps(results))
        return
    print(f"REST claim+submit (bench/dispatch.py client, 32 workers over both ASGI processes): {results['rest']:.1f}/s")
    if "chaos" in results:
        print_chaos(results["chaos"])


if __name__ == "__main__":
    main()
