"""A real Qixie server for the WeCom-compatible API suite.

One server per test session: the binary is built once (or taken from QIXIE_BIN), the data directory
is fresh, and with QIXIE_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432) a fresh
PostgreSQL database is created for the session and dropped afterwards. Tests share the enterprise,
so each one creates the members, departments and tags it needs under names of its own.
"""
import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

try:
    from wechatpy.work import WeChatClient  # wechatpy 2.x
except ImportError:  # wechatpy 1.8
    from wechatpy.enterprise import WeChatClient

REPO = Path(__file__).resolve().parents[2]
ADMIN_ACCOUNT = "boss"
ADMIN_PASSWORD = "Qixie2026"
# Small, so the size limit can be tested without large files.
MAX_UPLOAD_BYTES = 1024 * 1024


def _binary():
    given = os.environ.get("QIXIE_BIN")
    if given:
        return Path(given)
    subprocess.run(["cargo", "build", "-p", "qixie"], cwd=REPO, check=True)
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "debug" / "qixie"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _psql(url, statement):
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement], check=True, capture_output=True)


class Database:
    """The session's database, with a back door for states the API cannot reach quickly (an
    expired token or media)."""

    def __init__(self, data_dir):
        base = os.environ.get("QIXIE_TEST_DATABASE_URL", "").rstrip("/")
        self.sqlite_path = None
        self.url = None
        if base:
            self.name = "qixie_wecom_" + uuid.uuid4().hex[:12]
            self.admin_url = base + "/postgres"
            _psql(self.admin_url, f'CREATE DATABASE "{self.name}"')
            self.url = f"{base}/{self.name}"
        else:
            self.sqlite_path = data_dir / "qixie.db"

    def execute(self, statement, *args):
        if self.url:
            # psql has no bind parameters; the arguments here are hex digests and media ids.
            for a in args:
                assert all(c.isalnum() or c in "-_" for c in str(a)), a
                statement = statement.replace("?", f"'{a}'", 1)
            _psql(self.url, statement)
        else:
            with sqlite3.connect(self.sqlite_path, timeout=10) as conn:
                conn.execute(statement, args)

    def drop(self):
        if self.url:
            _psql(self.admin_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Server:
    def __init__(self, port, corp_id, secrets, db, cli=None):
        self.base = f"http://127.0.0.1:{port}/cgi-bin/"
        self.root = f"http://127.0.0.1:{port}"
        self.corp_id = corp_id
        self.secrets = secrets
        self.db = db
        # Runs a `qixie` command with the server's environment; returns its JSON line.
        self.cli = cli

    def token(self, app="sync"):
        r = requests.get(self.base + "gettoken", params={"corpid": self.corp_id, "corpsecret": self.secrets[app]})
        body = r.json()
        assert body["errcode"] == 0, body
        return body["access_token"]

    def get(self, path, token, **params):
        r = requests.get(self.base + path, params={"access_token": token, **params})
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path, token, body, **params):
        # Like wechatpy: a UTF-8 JSON body and no Content-Type header.
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        r = requests.post(self.base + path, params={"access_token": token, **params}, data=data)
        assert r.status_code == 200, r.text
        assert "Content-Type" not in r.request.headers
        return r.json()

    def expire_token(self, token):
        self.db.execute("UPDATE access_tokens SET expires_at = 0 WHERE token_hash = ?", hashlib.sha256(token.encode()).hexdigest())

    def expire_media(self, media_id):
        self.db.execute("UPDATE media SET expires_at = 0 WHERE media_id = ?", media_id)


def _run(binary, env, *args):
    out = subprocess.run([str(binary), *args], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    binary = _binary()
    data = tmp_path_factory.mktemp("qixie")
    db = Database(data)
    port = _free_port()
    # The server rejects QIXIE_* variables it does not know, so none leak in from the caller.
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIXIE_")}
    env.update({
        "QIXIE_DATA_DIR": str(data),
        "QIXIE_FAST_HASH": "1",
        "QIXIE_LISTEN": f"127.0.0.1:{port}",
        "QIXIE_LOG": "warn",
        "QIXIE_MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
    })
    if db.url:
        env["QIXIE_DATABASE_URL"] = db.url
    proc = None
    try:
        corp = _run(binary, env, "init", "--corp-name", "企协测试", "--admin-account", ADMIN_ACCOUNT, "--admin-password", ADMIN_PASSWORD)
        secrets = {}
        for name, scope in [("sync", "contacts.read,contacts.write"), ("reader", "contacts.read"), ("messenger", "message")]:
            secrets[name] = _run(binary, env, "app", "create", "--corp-id", corp["corp_id"], "--name", name, "--scope", scope)["secret"]
        log = open(data / "server.log", "w")
        proc = subprocess.Popen([str(binary), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError("qixie serve exited:\n" + (data / "server.log").read_text())
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.time() > deadline:
                raise RuntimeError("qixie serve did not come up:\n" + (data / "server.log").read_text())
            time.sleep(0.1)
        yield Server(port, corp["corp_id"], secrets, db, cli=lambda *args: _run(binary, env, *args))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        db.drop()


def make_client(server, app="sync", secret=None, **kwargs):
    """A wechatpy client pointed at the server as the reference describes: API_BASE_URL, plus the
    two hard-coded URLs (gettoken, media/get) overridden. `fetches` counts token fetches."""
    base = server.base

    class OurWorkClient(WeChatClient):
        API_BASE_URL = base
        fetches = 0

        def fetch_access_token(self):
            self.fetches += 1
            return self._fetch_access_token(url=base + "gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret})

    c = OurWorkClient(server.corp_id, secret if secret is not None else server.secrets[app], **kwargs)
    c.media.get_url = lambda media_id: f"{base}media/get?access_token={c.access_token}&media_id={media_id}"
    return c


@pytest.fixture(scope="session")
def client(server):
    return make_client(server)


@pytest.fixture(scope="session")
def token(server):
    return server.token()


@pytest.fixture
def uid():
    """A short unique suffix for names and userids."""
    return uuid.uuid4().hex[:8]


_mobile_counter = [int(time.time()) % 10_000_000]


@pytest.fixture
def mobile():
    """A fresh mainland mobile number per call."""

    def next_mobile():
        _mobile_counter[0] += 1
        return f"139{_mobile_counter[0] % 100_000_000:08d}"

    return next_mobile
