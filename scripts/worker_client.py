#!/usr/bin/env python3
"""A small reference client for the Groundwork worker websocket (docs/realtime.md).

    GROUNDWORK_TOKEN=gww_… python scripts/worker_client.py \
        [--url ws://127.0.0.1:8000/ws/worker/] [--auto '{"label": "cat"}']

It connects once, asks for work with `ready`, shows each task, reads your answer (a JSON object)
from the terminal, or submits the --auto answer, and asks again. Type `return` to give a task
back, or `quit` to leave (live assignments stay yours until their deadlines). Tasks are pushed
the moment they exist; nothing polls. With the demo of ./scripts/serve:
`. var/demo.env && .venv/bin/python scripts/worker_client.py`.

An empty queue: here the server says `idle` and later pushes a `task` by itself. A REST client
of the same worker API must know that `POST /api/v1/worker/tasks/next` answers **204 No Content
with an empty body** when nothing is open (200 with the task otherwise): check the status before
parsing JSON, then poll again after a pause or use this websocket. For example:

    response = httpx.post(f"{base}/api/v1/worker/tasks/next", headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 204:
        ...  # nothing open now: no body to parse
    else:
        response.raise_for_status()
        task = response.json()
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys

import websockets


async def ask(prompt: str) -> str:
    return (await asyncio.to_thread(input, prompt)).strip()


async def run(url: str, token: str, auto_answer: dict | None) -> None:
    refs = itertools.count(1)
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as socket:
        await socket.send(json.dumps({"type": "ready", "ref": next(refs)}))
        async for frame in socket:
            message = json.loads(frame)
            kind = message["type"]
            if kind == "idle":
                print("… no work right now; waiting (a task will be pushed when one appears)")
            elif kind == "task":
                print(
                    f"\n== task {message['task_id']} (assignment {message['assignment_id']}, "
                    f"due {message['deadline']}): {message.get('title', '')}"
                )
                print(json.dumps({k: message[k] for k in ("input", "labels", "instructions")}, indent=2))
                answer_text = json.dumps(auto_answer) if auto_answer is not None else await ask("answer> ")
                if answer_text == "quit":
                    return
                if answer_text == "return":
                    await socket.send(json.dumps({"type": "return", "assignment_id": message["assignment_id"]}))
                else:
                    try:
                        answer = json.loads(answer_text)
                    except ValueError:
                        print("not JSON; returning the task")
                        await socket.send(json.dumps({"type": "return", "assignment_id": message["assignment_id"]}))
                        continue
                    await socket.send(
                        json.dumps({"type": "submit", "assignment_id": message["assignment_id"], "answer": answer})
                    )
            elif kind == "ack":
                print(f"ok: assignment {message['assignment_id']} done")
                await socket.send(json.dumps({"type": "ready", "ref": next(refs)}))
            elif kind == "expired":
                print(f"assignment {message['assignment_id']} expired before it was submitted")
            elif kind == "error":
                print(f"error {message['code']}: {message['message']}")
                if message["code"] == "too_many_live_assignments":
                    return
                await asyncio.sleep(1)
                await socket.send(json.dumps({"type": "ready", "ref": next(refs)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("GROUNDWORK_WS_URL", "ws://127.0.0.1:8000/ws/worker/"))
    parser.add_argument("--auto", help="submit this JSON answer to every task instead of asking")
    args = parser.parse_args()
    token = os.environ.get("GROUNDWORK_TOKEN")
    if not token:
        sys.exit("set GROUNDWORK_TOKEN to your worker token (gww_…)")
    try:
        asyncio.run(run(args.url, token, json.loads(args.auto) if args.auto else None))
    except websockets.ConnectionClosedError as closed:
        frame = closed.rcvd
        sys.exit(f"connection closed: {frame.code} {frame.reason}" if frame else "connection lost")
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
