"""Settings for the test suite: ``config.settings`` with development defaults filled in.

Everything real stays real (``DATABASE_URL`` and ``REDIS_URL`` from the environment); only
what tests must control is changed here.
"""

import os
import uuid

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("BACKGROUND_MODE", "inprocess")  # tests call the sweeps themselves

from .settings import *  # noqa: E402,F403

# Rate-limit buckets in a shared Redis must not carry over between runs (ids repeat).
RATE_LIMIT_NAMESPACE = f"gwtest-{uuid.uuid4().hex[:8]}"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # The concurrency tests run 32+ client threads, each holding a connection for a request.
    DATABASES["default"]["OPTIONS"]["pool"]["max_size"] = 60  # noqa: F405
    if os.environ.get("TEST_DATABASE_NAME"):  # lets two suites share one server
        DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}  # noqa: F405
else:
    # A file, not SQLite's shared in-memory database: the realtime tests read and write from
    # several threads at once, which the shared cache answers with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

if "CONFIG" in CHANNEL_LAYERS["default"]:  # noqa: F405
    # A shared Redis must not carry hints between concurrent test runs.
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = RATE_LIMIT_NAMESPACE  # noqa: F405
