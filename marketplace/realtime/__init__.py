"""Realtime dispatch over websockets (DESIGN.md "Worker websocket"; docs/realtime.md).

- ``hints``: what services send after commit (work may be available; assignments expired).
- ``dispatcher``: one per ASGI process; receives hints and wakes the right local sockets.
- ``consumers``: the worker socket, handlers only: each message type to the services REST uses.
- ``auth``: who is on a socket (header or single-use ticket).
- ``actions``: what the messages do on database threads (claims, submits, returns).
- ``batching``: the per-process batchers that pass queued claims and submits to one service call.
- ``threads``: the database thread pools.
- ``errors``: the shape of ``error`` messages.
Rate limits are ``marketplace.ratelimit``'s, shared with REST.
"""
