"""`isnad index add/remove/rebuild/status/verify/watch` as a maintainer runs them."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import terminal
from test_cli import ISNAD, run

from isnad.home import IndexHome
from isnad.retrieval.local import LocalIndex

WIRE = {"id": "wire-7", "title": "Wire", "source": "Agency", "url": None, "published": None,
        "text": "Buses left the Yarmouk camp at dawn on Sunday. The fighters were taken to "
                "the eastern desert, a witness said."}


def env_for(home: IndexHome, cli_env: dict[str, str]) -> dict[str, str]:
    return {**cli_env, "ISNAD_HOME": str(home.root)}


@pytest.fixture(params=["local", "postgres"])
def index_env(request: pytest.FixtureRequest, writable_home, cli_env) -> dict[str, str]:
    """The environment of commands on this test's own index of the bundled articles, on
    each backend (PostgreSQL: ISNAD_DATABASE_URL; models still come from ISNAD_HOME)."""
    env = env_for(writable_home, cli_env)
    if request.param == "postgres":
        env["ISNAD_DATABASE_URL"] = request.getfixturevalue("pg_indexed_url")
    return env


def test_add_reports_each_bad_input_and_indexes_the_rest(index_env, tmp_path):
    env = index_env
    folder = tmp_path / "incoming"
    folder.mkdir()
    lines = [json.dumps(WIRE), "not json", json.dumps({"id": "no-text", "title": "x"}),
             json.dumps({**WIRE, "id": "odd\u202eid", "text": "Another story entirely."})]
    (folder / "export.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "latin1.txt").write_bytes("caf\xe9 news".encode("latin-1"))
    (folder / "empty.txt").write_text("")
    result = run(["index", "add", str(folder), str(tmp_path / "missing")], env, timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for fragment in ("export.jsonl:2", "export.jsonl:3", "export.jsonl:4", "latin1.txt",
                     "empty.txt", "/missing:"):
        assert sum(fragment in line for line in result.stderr.splitlines()) == 1, fragment
    assert "1 added" in result.stdout
    status = json.loads(run(["index", "status", "--json"], env).stdout)
    assert status["articles"] == 6  # the five seeds are all still there
    assert {"articles", "passages", "model", "updated", "bytes"} <= set(status)
    assert status["bytes"] > 0


def test_add_again_remove_verify_and_rebuild(index_env, tmp_path):
    env = index_env
    batch = tmp_path / "one.jsonl"
    batch.write_text(json.dumps(WIRE) + "\n")
    assert run(["index", "add", str(batch)], env, timeout=300).returncode == 0
    again = run(["index", "add", "--json", str(batch)], env, timeout=300)
    report = json.loads(again.stdout)
    assert report["unchanged"] == 1 and report["embedded"] == 0
    assert report["generation"] is None

    verify = run(["index", "verify"], env, timeout=300)
    assert verify.returncode == 0 and verify.stdout.startswith("ok: 6 articles")

    removed = run(["index", "remove", "wire-7", "never-there"], env)
    assert removed.returncode == 1
    assert "never-there" in removed.stderr and "1 removed" in removed.stdout
    shown = run(["articles", "show", "wire-7"], env)
    assert shown.returncode == 2

    rebuilt = run(["index", "rebuild"], env, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "now 5 articles" in rebuilt.stdout and "0 texts embedded" in rebuilt.stdout


def test_verify_exits_1_with_what_to_do_on_damage(writable_home, cli_env):
    env = env_for(writable_home, cli_env)
    segment = LocalIndex(writable_home).segments[0].name
    lexical = writable_home.segments / segment / "lexical" / "ids.npy"
    lexical.unlink()
    result = run(["index", "verify", "--skip-model"], env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert segment in result.stderr and "isnad index rebuild" in result.stderr


def test_verify_json_says_ok_and_lists_each_problem(writable_home, cli_env):
    env = env_for(writable_home, cli_env)
    healthy = run(["index", "verify", "--skip-model", "--json"], env)
    assert healthy.returncode == 0, healthy.stderr
    report = json.loads(healthy.stdout)
    assert report["ok"] is True and report["problems"] == [] and report["articles"] == 5
    segment = LocalIndex(writable_home).segments[0].name
    (writable_home.segments / segment / "sentences.faiss").unlink()
    damaged = run(["index", "verify", "--skip-model", "--json"], env)
    assert damaged.returncode == 1 and damaged.stderr == ""
    report = json.loads(damaged.stdout)
    assert report["ok"] is False and any(segment in p for p in report["problems"])


def start_watch(folder: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`isnad index watch FOLDER` (a new, empty folder) running, past its first look."""
    folder.mkdir()
    watcher = subprocess.Popen([*ISNAD, "index", "watch", str(folder), "--interval", "0.3"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    time.sleep(1.0)
    return watcher


def stop_watch(watcher: subprocess.Popen[str]) -> tuple[str, str]:
    """Ctrl-C, as a user stops it; its output. A watcher that ignores it is killed."""
    watcher.send_signal(signal.SIGINT)
    try:
        return watcher.communicate(timeout=120)  # a loaded machine is slow to stop
    except subprocess.TimeoutExpired:
        watcher.kill()
        out, err = watcher.communicate()
        raise AssertionError(f"the watcher did not stop on SIGINT: {out}{err}") from None


def test_watch_indexes_files_dropped_into_a_folder(writable_home, cli_env, tmp_path):
    folder = tmp_path / "dropbox"
    watcher = start_watch(folder, env_for(writable_home, cli_env))
    try:
        # Written under a temporary name, then renamed, as a scraper should.
        partial = folder / "wire.jsonl.tmp"
        partial.write_text(json.dumps(WIRE) + "\n")
        os.replace(partial, folder / "wire.jsonl")
        deadline = time.monotonic() + 120
        while LocalIndex(writable_home).catalog.article("wire-7") is None:
            assert watcher.poll() is None, watcher.stderr.read()
            assert time.monotonic() < deadline, "the watcher never indexed the file"
            time.sleep(0.3)
    finally:
        out, err = stop_watch(watcher)
    assert watcher.returncode == 0, err
    assert "1 added" in out and "Traceback" not in err


def test_watch_needs_a_folder(cli_env, tmp_path):
    result = run(["index", "watch", str(tmp_path / "nope")], cli_env)
    assert result.returncode == 2 and "not a folder" in result.stderr


def test_the_same_id_twice_in_one_batch_is_reported_and_the_first_kept(index_env, tmp_path):
    env = index_env
    later = {**WIRE, "text": "Corrected: the buses left at noon, not at dawn."}
    batch = tmp_path / "twice.jsonl"
    batch.write_text(json.dumps(WIRE) + "\n" + json.dumps(later) + "\n")
    result = run(["index", "add", str(batch)], env, timeout=300)
    assert result.returncode == 1
    assert "twice.jsonl:2: duplicate article id 'wire-7'" in result.stderr
    shown = json.loads(run(["articles", "show", "wire-7", "--json"], env).stdout)
    assert shown["text"] == WIRE["text"]
    assert run(["index", "verify", "--skip-model"], env).returncode == 0


@pytest.mark.parametrize("backend", ["local", "postgres"])
def test_index_commands_need_an_index(cli_env, tmp_path: Path, backend, request):
    env = {**cli_env, "ISNAD_HOME": str(tmp_path / "empty")}
    if backend == "postgres":
        env["ISNAD_DATABASE_URL"] = request.getfixturevalue("pg_url")
    for args in (["index", "status"], ["index", "rebuild"], ["index", "remove", "x"]):
        result = run(args, env)
        assert result.returncode == 1, (args, result.stderr)
        assert "isnad index build" in result.stderr and "Traceback" not in result.stderr


def test_a_build_into_a_pipe_prints_its_result_and_nothing_else(cli_env, tmp_path):
    env = {**cli_env, "ISNAD_HOME": str(tmp_path / "home")}  # empty cache: all embedded
    result = subprocess.run([*ISNAD, "index", "build"], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no bar, no status line
    assert "5 added" in result.stdout and "texts embedded" in result.stdout


def test_a_build_on_a_terminal_says_what_it_does_with_counts_and_rate(cli_env, tmp_path):
    # MiniLM loads through transformers, whose own "Loading weights" bar must not show.
    env = {**cli_env, "ISNAD_HOME": str(tmp_path / "home"), "ISNAD_MODEL": "minilm"}
    result = terminal.run_on_terminal([*ISNAD, "index", "build"], env,
                                      on_terminal=("stderr",))
    assert result.returncode == 0, result.screen
    assert "loading model minilm" in result.screen
    assert "Loading weights" not in result.screen
    assert re.search(r"embedding: .*\d+/\d+ .*(text/s|s/text)", result.screen)
    assert re.search(r"indexing: 100%.*5/5 .*(article/s|s/article)", result.screen)
    assert "5 added" in result.stdout
