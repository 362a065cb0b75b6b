"""Shared fixtures: a real PostgreSQL database built by the migrations once per run, tables
emptied before each test, a real Redis database flushed per test, a real SMTP server and a real
RQ worker (run in burst mode in this process).
"""

import os
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import psycopg
import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import make_url, text

pytest_plugins = ["tests.support.browser"]

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/vocservice_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _database_url() -> str:
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    if "TEST_DATABASE_URL" not in os.environ:
        # The default is a throwaway database of this run alone, so two runs on one machine
        # never drop each other's tables.
        url = url.set(database=f"{url.database}_{os.getpid()}")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # one database per xdist worker
        url = url.set(database=f"{url.database}_{worker}")
    return url.render_as_string(hide_password=False)


def _drop_database(url: str, *, create: bool = False) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{parsed.database}"')


def _recreate_database(url: str) -> None:
    _drop_database(url, create=True)


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    from vocservice import create_app, jobs

    url = _database_url()
    _recreate_database(url)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": TEST_REDIS_URL,
            "RATELIMIT_STORAGE_URI": TEST_REDIS_URL,
            "PUBLIC_BASE_URL": "http://voc.test",
            "SMTP_URL": None,
            "SECRET_KEY": "test-secret",
        }
    )
    with app.app_context():
        upgrade()
    jobs.set_app(app)
    yield app
    with app.app_context():
        from surveys.core.db import db

        db.engine.dispose()
    if "TEST_DATABASE_URL" not in os.environ:
        _drop_database(url)


@pytest.fixture(autouse=True)
def _clean_stores(app):
    from surveys.core.db import db

    with app.app_context():
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.session.remove()
    Redis.from_url(TEST_REDIS_URL).flushdb()
    saved = dict(app.config)
    yield
    app.config.clear()
    app.config.update(saved)


@pytest.fixture
def app_ctx(app):
    from surveys.core.db import db

    with app.app_context() as ctx:
        yield ctx
        db.session.remove()


@pytest.fixture
def db_session(app_ctx):
    from surveys.core.db import db

    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def redis_conn():
    return Redis.from_url(TEST_REDIS_URL)


@dataclass
class WorkspaceFixture:
    workspace: object
    api_key: str
    headers: dict
    keys: dict = field(default_factory=dict)

    def key_headers(self, role: str) -> dict:
        return {"Authorization": f"Bearer {self.keys[role]}"}


@pytest.fixture
def workspace(app):
    """A workspace with one key per role; ``headers`` carry the admin key."""
    from surveys.core.db import db
    from surveys.workspace.service import create_api_key, create_workspace

    with app.app_context():
        ws = create_workspace(db.session, name="Acme Test", slug="acme")
        keys = {
            role: create_api_key(db.session, workspace=ws, role=role)[1]
            for role in ("admin", "analyst", "ingest")
        }
        db.session.commit()
        db.session.refresh(ws)
        db.session.expunge(ws)
        db.session.remove()
    return WorkspaceFixture(
        workspace=ws, api_key=keys["admin"], headers={"Authorization": f"Bearer {keys['admin']}"}, keys=keys
    )


class _CountingWorker(SimpleWorker):
    performed = 0

    def perform_job(self, job, queue):
        self.performed += 1
        return super().perform_job(job, queue)


@pytest.fixture
def run_worker(app):
    """Run a real RQ worker over every queue until they are empty; returns how many jobs ran."""
    connection = Redis.from_url(TEST_REDIS_URL)

    def run() -> int:
        worker = _CountingWorker(["default", "nlp"], connection=connection, serializer=JSONSerializer)
        worker.work(burst=True)
        return worker.performed

    return run


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"


@dataclass
class SmtpServer:
    url: str
    messages: list


@pytest.fixture
def smtp_server(app):
    collector = _Collector()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    url = f"smtp://127.0.0.1:{port}"
    app.config["SMTP_URL"] = url
    yield SmtpServer(url=url, messages=collector.messages)
    controller.stop()


@pytest.fixture
def receiver(app):
    """A real HTTP receiver on 127.0.0.1 for outbound webhooks (tests.support.receiver), with
    private targets allowed for the test."""
    from tests.support.receiver import Receiver

    app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"] = True
    server = Receiver()
    yield server
    server.stop()
