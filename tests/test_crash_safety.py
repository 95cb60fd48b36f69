"""kill -9 a real `isnad index add` at each step of a write: the previous index version
must stay whole and usable, and the next write must succeed.

The writer is stopped at a named step with ISNAD_PAUSE_AT (it touches a file and
waits there), then this test sends SIGKILL from outside, as an operator or the OOM
killer would. Kills at fixed delays into an unpaused run cover the moments between.
On PostgreSQL a write is one transaction: killed mid-batch, nothing of it is seen.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from isnad.database import Database
from isnad.home import IndexHome
from isnad.retrieval import open_storage
from isnad.retrieval.local import LocalIndex, verify_index

ISNAD = [sys.executable, "-m", "isnad"]
NEW_ARTICLES = [
    {"id": f"crash-{i}", "title": f"Report {i}", "source": "Test Wire",
     "text": f"On day {i} the ministry opened {i + 2} new clinics in the {region} region. "
             f"Officials said {i * 40 + 100} doctors were hired. The clinics open daily "
             "from eight in the morning."}
    for i, region in enumerate(["northern", "southern", "eastern", "western", "central",
                                "coastal", "desert", "mountain"])
]


@pytest.fixture()
def crash_home(writable_home: IndexHome) -> IndexHome:
    return writable_home


def env_for(home: IndexHome, **extra: str) -> dict[str, str]:
    env = {**os.environ, "ISNAD_HOME": str(home.root), "ISNAD_MODEL": "e5-small-q4", **extra}
    env.pop("ISNAD_DEBUG", None)
    return env


def write_batch(folder: Path, articles: list[dict]) -> Path:
    path = folder / "batch.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles))
    return path


def paused_writer(batch: Path, env: dict[str, str], step: str, pause: Path,
                  **more: str) -> subprocess.Popen[str]:
    """`isnad index add BATCH`, started and waiting at ``step`` (ISNAD_PAUSE_AT)."""
    writer = subprocess.Popen([*ISNAD, "index", "add", str(batch)],
                              env={**env, "ISNAD_PAUSE_AT": step,
                                   "ISNAD_PAUSE_FILE": str(pause), **more},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not pause.exists():
        assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
        assert time.monotonic() < deadline, "the writer never reached " + step
        time.sleep(0.05)
    return writer


def assert_whole(home: IndexHome, encoder, articles: set[int]) -> int:
    """The current version verifies, answers, and has one of the expected sizes."""
    report = verify_index(home, encoder)
    assert report.ok, report.problems
    assert report.articles in articles
    from isnad.retrieval.engine import Engine

    answer = Engine(LocalIndex(home), encoder).ask("Where was ISIS to be evacuated to?")
    assert answer.quotes
    return report.articles


@pytest.mark.parametrize("step", ["embedding", "faiss-write", "catalog-commit", "switch"])
def test_kill_at_each_step_leaves_the_previous_version(crash_home, light_encoder, tmp_path,
                                                       step):
    batch = write_batch(tmp_path, NEW_ARTICLES[:3])
    writer = paused_writer(batch, env_for(crash_home), step, tmp_path / "paused")
    writer.send_signal(signal.SIGKILL)
    writer.wait()

    assert assert_whole(crash_home, light_encoder, {5}) == 5
    # The next writer cleans up after the dead one and completes.
    done = subprocess.run([*ISNAD, "index", "add", str(batch)], env=env_for(crash_home),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert assert_whole(crash_home, light_encoder, {8}) == 8
    leftovers = [p.name for p in (*crash_home.generations.iterdir(),
                                  *crash_home.segments.iterdir()) if p.name.startswith(".")]
    assert leftovers == []


def test_kills_at_any_moment_and_readers_never_see_half_an_index(crash_home, light_encoder,
                                                                 tmp_path):
    batch = write_batch(tmp_path, NEW_ARTICLES)
    seen: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def read_continuously() -> None:
        while not stop.is_set():
            try:
                index = LocalIndex(crash_home)
                seen.append(index.catalog.count("articles"))
                index.close()
            except Exception as exc:  # any failure to open is a half-written index
                failures.append(repr(exc))
            time.sleep(0.02)

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        for delay in (0.8, 1.6, 2.4, 3.2, 4.0):
            writer = subprocess.Popen([*ISNAD, "index", "add", str(batch)],
                                      env=env_for(crash_home), stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            time.sleep(delay)
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            count = assert_whole(crash_home, light_encoder, {5, 13})
            if count == 13:  # it finished before the kill: start again from the seeds
                subprocess.run([*ISNAD, "index", "remove", *[a["id"] for a in NEW_ARTICLES]],
                               env=env_for(crash_home), check=True, capture_output=True)
    finally:
        stop.set()
        reader.join()
    assert failures == []
    assert set(seen) <= {5, 13} and seen


# -- PostgreSQL (ISNAD_DATABASE_URL): one write is one transaction ----------------------
def pg_env(home: IndexHome, url: str, **extra: str) -> dict[str, str]:
    return env_for(home, ISNAD_DATABASE_URL=url, **extra)


def pg_articles(url: str) -> int:
    storage = open_storage(IndexHome(Path("unused")), "postgres", database=Database(url))
    index = storage.open()
    try:
        return index.stats().articles
    finally:
        index.close()


@pytest.mark.parametrize("step", ["embedding", "postgres-commit"])
def test_kill_mid_batch_on_postgres_leaves_nothing_partial(crash_home, pg_indexed_url,
                                                           light_encoder, tmp_path, step):
    batch = write_batch(tmp_path, NEW_ARTICLES[:3])
    writer = paused_writer(batch, pg_env(crash_home, pg_indexed_url), step,
                           tmp_path / "paused")
    # Its rows are in the open transaction: a reader sees the index before the write.
    assert pg_articles(pg_indexed_url) == 5
    writer.send_signal(signal.SIGKILL)
    writer.wait()

    storage = open_storage(crash_home, "postgres", database=Database(pg_indexed_url))
    assert pg_articles(pg_indexed_url) == 5 and storage.verify(light_encoder).ok
    # The server rolled the dead writer's transaction back and let go of its lock; what
    # it had embedded stays in the cache.
    done = subprocess.run([*ISNAD, "index", "add", "--json", str(batch)],
                          env=pg_env(crash_home, pg_indexed_url), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["added"]) == 3 and report["articles"] == 8 and report["cached"] > 0
    if step == "postgres-commit":
        assert report["embedded"] == 0
    assert storage.verify(light_encoder).ok and pg_articles(pg_indexed_url) == 8


def test_the_server_dying_mid_write_loses_nothing_and_says_so(crash_home, pg_server,
                                                             pg_indexed_url, light_encoder,
                                                             tmp_path):
    batch = write_batch(tmp_path, NEW_ARTICLES[:3])
    writer = paused_writer(batch, pg_env(crash_home, pg_indexed_url), "postgres-commit",
                           tmp_path / "paused", ISNAD_PAUSE_SECONDS="2")
    pg_server.stop("immediate")
    try:
        _, err = writer.communicate(timeout=120)
    finally:
        pg_server.start()
    assert writer.returncode == 1
    assert err.count("\n") == 1 and "nothing partial was written" in err, err
    assert "Traceback" not in err
    assert pg_articles(pg_indexed_url) == 5
    storage = open_storage(crash_home, "postgres", database=Database(pg_indexed_url))
    assert storage.verify(light_encoder).ok
