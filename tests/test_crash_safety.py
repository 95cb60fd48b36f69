"""kill -9 a real `isnad index add` at each step of a write: the previous index version
must stay whole and usable, and the next write must succeed.

The writer is stopped at a named step with ISNAD_PAUSE_AT (it touches a file and
waits there), then this test sends SIGKILL from outside, as an operator or the OOM
killer would. Kills at fixed delays into an unpaused run cover the moments between.
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

from isnad.home import IndexHome
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
    pause = tmp_path / "paused"
    writer = subprocess.Popen([*ISNAD, "index", "add", str(batch)],
                              env=env_for(crash_home, ISNAD_PAUSE_AT=step,
                                          ISNAD_PAUSE_FILE=str(pause)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not pause.exists():
        assert writer.poll() is None, writer.stderr.read().decode()
        assert time.monotonic() < deadline, "the writer never reached " + step
        time.sleep(0.05)
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
