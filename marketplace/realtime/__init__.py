"""Realtime dispatch over websockets (DESIGN.md "Worker websocket").

- ``hints``: what services send after commit (work may be available; assignments expired).
- ``dispatcher``: one per ASGI process; receives hints and wakes the right local sockets.
- ``consumers``: the worker socket; claims, submits and returns through the same services as REST.
"""
