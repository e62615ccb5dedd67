"""Claim+submit cycles per second through the REST API, next to the raw database ceiling.

Run:  python bench/dispatch.py [--seconds 10] [--processes 4] [--concurrency 1 8 32] [--compare [COMMIT]]

Needs PostgreSQL (``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/groundwork_bench``,
created if missing and wiped on every run). It starts ``uvicorn config.asgi:application`` with
``--workers N`` on that database, then for each concurrency runs that many distinct workers as
asyncio HTTP/1.1 keep-alive clients in a separate load process, each looping
``POST tasks/next`` + ``POST assignments/{id}/submit`` for the given time. In the same run it
measures the raw rate of a bare ``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)``
loop from as many psycopg sessions, so the ratio shows what the web stack costs. Rate limits
are lifted for the server under test (they would otherwise cap each worker at 20 requests/s).

``--compare`` (default commit ``4e1711b``, the code before issue 20) measures that commit and this
tree in one run, one after the other on the same machine, and prints them side by side: the commit
is checked out with ``git worktree add`` into a temporary directory (removed after), and each side
runs this script with ``--root`` (the tree whose server and seeding are used) on its own database
(``BENCH_DATABASE_URL`` with ``_before`` / ``_after`` appended). ``--rounds N`` alternates the two
sides N times and reports each side's best round, so a burst of load from elsewhere on a shared
machine does not decide the comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

HERE = Path(__file__).resolve().parent.parent


def _root_from_argv() -> Path:
    """The code tree under test: ``--root DIR`` (set by ``--compare``), else this checkout."""
    if "--root" in sys.argv:
        return Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
    return HERE


ROOT = _root_from_argv()
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # Celery's app puts the working directory first on sys.path: it must be ROOT too
BEFORE_COMMIT = "4e1711b"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/groundwork_bench"


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "1")
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(workers: int, tasks: int) -> tuple[list[str], str]:
    try:
        from marketplace.inputs.tasks import task_spec
    except ImportError:  # an older tree (``--compare``'s "before")
        from marketplace.services.tasks import parse_task_spec as task_spec  # type: ignore[attr-defined,no-redef]
    from marketplace.services.ledger import deposit
    from marketplace.services.organizations import requester_create
    from marketplace.services.tasks import tasks_post
    from marketplace.services.workers import worker_create

    requester = requester_create(name="bench")
    # Posting reserves the worst case in escrow: fund the requester generously (operator deposit).
    deposit(
        organization_id=requester.organization.pk, amount_micros=10**12, reference=f"bench-{requester.organization.pk}"
    )
    tokens = [worker_create(username=f"bench-{i}")[1] for i in range(workers)]
    spec = task_spec({"title": "bench", "input": {"text": "x"}, "slots": 3, "reward": "0.01"})
    for start in range(0, tasks, 1000):
        tasks_post(requester=requester.organization, specs=[spec] * min(1000, tasks - start))
    from django.db import connection

    with connection.cursor() as cursor:  # what autovacuum would have done by now
        cursor.execute("ANALYZE")
    return tokens, requester.api_key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, processes: int, port: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """uvicorn on ``port`` with rate limits lifted; without ``REDIS_URL`` in ``extra_env`` it runs
    on the embedded layer and in-process sweeps."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "WORKER_RATE_PER_SECOND": "1000000",
        "WORKER_RATE_BURST": "1000000",
        "API_KEY_WRITE_RATE_PER_SECOND": "1000000",
        "API_KEY_WRITE_RATE_BURST": "1000000",
        "DATABASE_POOL_MAX_SIZE": "16",
    }
    env.pop("REDIS_URL", None)
    env.update(extra_env or {})
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--port",
            str(port),
            "--workers",
            str(processes),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    import httpx

    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


class RawHttpClient:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams: httpx spends several ms of CPU
    per request, which on 2 cores would be taken from the server under test."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.auth = f"Authorization: Bearer {token}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _worker_loop(port: int, token: str, deadline: float, counts: list[int]) -> None:
    client = RawHttpClient(port, token)
    answer = json.dumps({"answer": {"label": "x"}}).encode()
    try:
        while time.monotonic() < deadline:
            status, body = await client.post("/api/v1/worker/tasks/next")
            if status != 200:
                counts[1] += 1
                await asyncio.sleep(0.01)
                continue
            assignment_id = json.loads(body)["assignment_id"]
            status, _ = await client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", answer)
            counts[0 if status == 200 else 1] += 1
    finally:
        client.close()


def _load_process(ports: list[int], tokens: list[str], seconds: float, queue) -> None:
    async def main():
        counts = [0, 0]
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(_worker_loop(ports[index % len(ports)], token, deadline, counts) for index, token in enumerate(tokens))
        )
        return counts

    started = time.process_time()
    cycles, misses = asyncio.run(main())
    queue.put((cycles, misses, time.process_time() - started))


def rest_rate(ports: list[int], tokens: list[str], seconds: float) -> tuple[float, int, float]:
    """Claim+submit cycles per second of these workers, spread over the servers' ports."""
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_load_process, args=(ports, tokens, seconds, queue))
    process.start()
    cycles, misses, cpu = queue.get()
    process.join()
    return cycles / seconds, misses, cpu / seconds


def raw_rate(url: str, sessions: int, seconds: float) -> float:
    """A bare skip-locked claim loop: the ceiling a claim can reach on this database."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_slot")
        conn.execute("CREATE TABLE bench_slot (id bigserial PRIMARY KEY, task_id int, claimed_by int)")
        conn.execute("INSERT INTO bench_slot (task_id) SELECT g / 3 FROM generate_series(1, 600000) g")
        conn.execute("CREATE INDEX bench_slot_free ON bench_slot (id) WHERE claimed_by IS NULL")
        conn.execute("ANALYZE bench_slot")
    counts = [0] * sessions
    deadline = time.monotonic() + seconds

    def loop(index: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                conn.execute(
                    "UPDATE bench_slot SET claimed_by = %s WHERE id = (SELECT id FROM bench_slot "
                    "WHERE claimed_by IS NULL ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)",
                    (index,),
                )
                counts[index] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def measure(args: argparse.Namespace, url: str) -> list[dict[str, float]]:
    """Seed ``url`` with this tree's code, start its server and measure each concurrency."""
    ensure_database(url)
    setup_django(url)
    tokens, _ = seed(max(args.concurrency), tasks=args.tasks)
    port = free_port()
    server = start_server(url, args.processes, port)
    rows = []
    try:
        for concurrency in args.concurrency:
            rest, misses, cpu = rest_rate([port], tokens[:concurrency], args.seconds)
            raw = raw_rate(url, concurrency, args.seconds) if not args.no_raw else float("nan")
            rows.append({"concurrency": concurrency, "rest": rest, "raw": raw, "misses": misses, "cpu": cpu})
    finally:
        server.terminate()
        server.wait(timeout=10)
    return rows


def print_table(rows: list[dict[str, float]]) -> None:
    print(
        f"{'concurrency':>11} | {'REST claim+submit/s':>19} | {'raw skip-locked claims/s':>24} | "
        f"{'REST/raw':>8} | {'misses':>6} | {'load CPU':>8}"
    )
    for row in rows:
        print(
            f"{row['concurrency']:>11} | {row['rest']:>19.1f} | {row['raw']:>24.1f} | "
            f"{row['rest'] / row['raw']:>8.3f} | {row['misses']:>6} | {row['cpu']:>7.0%}"
        )


def side_rows(args: argparse.Namespace, root: Path, url: str) -> list[dict[str, float]]:
    """One side of ``--compare``: this script run on ``root``'s tree in a fresh process."""
    command = [sys.executable, str(Path(__file__).resolve()), "--root", str(root), "--json"]
    command += ["--seconds", str(args.seconds), "--processes", str(args.processes), "--tasks", str(args.tasks)]
    command += ["--concurrency", *map(str, args.concurrency)] + (["--no-raw"] if args.no_raw else [])
    env = {**os.environ, "BENCH_DATABASE_URL": url}
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"the {root} side failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(args: argparse.Namespace, url: str) -> None:
    """Measure ``args.compare`` (a commit) and this tree, ``args.rounds`` times each, alternating."""
    import tempfile

    commit = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", args.compare], check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = Path(tempfile.mkdtemp(prefix="gw-before-")) / "tree"
    subprocess.run(["git", "-C", str(HERE), "worktree", "add", "-q", "--detach", str(tree), commit], check=True)
    best: dict[str, dict[int, dict[str, float]]] = {"before": {}, "after": {}}
    try:
        for _ in range(args.rounds):
            for side, root in (("before", tree), ("after", HERE)):
                for row in side_rows(args, root, f"{url}_{side}"):
                    kept = best[side].get(row["concurrency"])
                    if kept is None or row["rest"] > kept["rest"]:
                        best[side][row["concurrency"]] = row
    finally:
        subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(tree)], check=False)
    print(
        f"dispatch bench, before ({commit}) and after (this tree) in one run: uvicorn x{args.processes} processes, "
        f"{os.cpu_count()} cores, {args.seconds:.0f} s per measurement, best of {args.rounds} round(s) each"
    )
    print(
        f"{'concurrency':>11} | {'before cycles/s':>15} | {'after cycles/s':>14} | {'after/before':>12} | "
        f"{'raw claims/s':>12} | {'misses b/a':>10}"
    )
    for concurrency in args.concurrency:
        before, after = best["before"][concurrency], best["after"][concurrency]
        print(
            f"{concurrency:>11} | {before['rest']:>15.1f} | {after['rest']:>14.1f} | "
            f"{after['rest'] / before['rest']:>11.2f}x | {after['raw']:>12.1f} | "
            f"{before['misses']:>4}/{after['misses']:<5}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--processes", type=int, default=4, help="uvicorn worker processes")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--tasks", type=int, default=20000, help="tasks posted (3 slots each)")
    parser.add_argument(
        "--compare",
        nargs="?",
        const=BEFORE_COMMIT,
        metavar="COMMIT",
        help=f"measure COMMIT (default {BEFORE_COMMIT}) and this tree in one run, side by side",
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --compare: alternate the sides this many times")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw skip-locked ceiling")
    parser.add_argument("--root", help="the code tree to measure (set by --compare)")
    parser.add_argument("--json", action="store_true", help="print the rows as one JSON line (for --compare)")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if args.compare:
        compare(args, url)
        return
    rows = measure(args, url)
    if args.json:
        print(json.dumps(rows))
        return
    print(
        f"dispatch bench: PostgreSQL {urlparse(url).path.lstrip('/')}, uvicorn x{args.processes} processes, "
        f"{os.cpu_count()} cores, {args.seconds:.0f} s per run"
    )
    print_table(rows)


if __name__ == "__main__":
    main()
