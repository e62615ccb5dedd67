"""Labeling hooks: objects per second through a job's pre-task hook (docs/templates.md), by the
number of threads calling it (``LABELING_HOOK_THREADS``), against an endpoint that answers after
a fixed delay (a requester's function a network hop away).

Run:  python bench/hooks.py [--objects 2000] [--delay-ms 20] [--threads 1 8 32]

No database: the calls are what ``labeling.services.hooks_objects.pre_task_inputs`` makes during
ingestion (signed, through the webhooks' guard and sender), to a threaded HTTP server in another
process on 127.0.0.1 that checks every signature.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import multiprocessing
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET = "whsec_bench"


def serve(port_out: multiprocessing.Queue, delay_seconds: float) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fields = dict(part.split("=", 1) for part in self.headers["Groundwork-Signature"].split(","))
            expected = hmac.new(SECRET.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
            status = 200 if hmac.compare_digest(expected, fields["v1"]) else 401
            time.sleep(delay_seconds)
            line = json.loads(body)["dataObject"]
            data = json.dumps({"taskInput": {"source": line["source"].upper()}}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    port_out.put(server.server_address[1])
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--delay-ms", type=float, default=20.0)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings

    from labeling.models import LabelingJob
    from labeling.services.hooks_objects import pre_task_inputs
    from labeling.services.manifest_lines import ManifestObject
    from marketplace.encryption import encrypt_secret

    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports, args.delay_ms / 1000), daemon=True)
    server.start()
    port = ports.get(timeout=10)
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    job = LabelingJob(
        name="bench", pre_task_hook_url=f"http://127.0.0.1:{port}/pre", hook_secret_encrypted=encrypt_secret(SECRET)
    )
    objects = [
        ManifestObject(line_number=n, line=json.dumps({"source": f"object {n}"}), task_input={}, gold_answer=None)
        for n in range(1, args.objects + 1)
    ]
    print(f"pre-task hook, {args.objects} objects, endpoint delay {args.delay_ms:g} ms")
    for threads in args.threads:
        settings.LABELING_HOOK_THREADS = threads
        started = time.perf_counter()
        prepared = pre_task_inputs(job, objects, lambda uri: True)
        elapsed = time.perf_counter() - started
        failed = sum(outcome.task_input is None for outcome in prepared.values())
        assert len(prepared) == args.objects and failed == 0, f"{failed} objects failed"
        print(f"threads {threads:>3}: {args.objects / elapsed:8.1f} objects/s ({elapsed:.2f} s)")
    server.terminate()


if __name__ == "__main__":
    main()
