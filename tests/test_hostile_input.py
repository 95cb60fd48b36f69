"""Input an attacker, a broken scraper or a careless admin would give (issue 16), through
the real `isnad` command: what gets indexed, what is read, what is refused, and that
every refusal is one line that says what happened and nothing else is lost."""

from __future__ import annotations

import ctypes
import json
import os
import stat
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from test_cli import ISNAD, assert_clean_failure, run
from test_cli_index import WIRE, env_for, start_watch, stop_watch

from isnad.corpus import Article, split_article
from isnad.home import IndexHome
from isnad.retrieval.embedding import EmbeddingCache, text_hash
from isnad.retrieval.local import LocalIndex, update_index
from isnad.retrieval.windows import window_texts

CONTROLS = "".join(map(chr, [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0)]))


def article_line(article_id: str, text: str, **meta: str) -> str:
    return json.dumps({"id": article_id, "text": text, **meta}, ensure_ascii=False)


def stored(env: dict[str, str]) -> dict[str, str]:
    """id → text of every indexed article."""
    listed = run(["articles", "list", "--json"], env)
    ids = [json.loads(line)["id"] for line in listed.stdout.split("\n") if line]
    return {i: json.loads(run(["articles", "show", i, "--json"], env).stdout)["text"]
            for i in ids}


def problem_lines(stderr: str, fragment: str) -> list[str]:
    return [line for line in stderr.splitlines() if fragment in line]


# -- 1. NUL bytes and other control characters ----------------------------------------

def test_nul_bytes_and_control_characters_are_never_indexed(writable_home, cli_env, tmp_path):
    env = env_for(writable_home, cli_env)
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "nuls.txt").write_bytes(b"\0" * 4096)
    # UTF-16 without a byte-order mark is valid UTF-8, every other byte a NUL.
    (folder / "utf16.txt").write_bytes("Wire\n\nBuses left the camp at dawn.\n"
                                       .encode("utf-16-le"))
    (folder / "only-controls.txt").write_bytes(b"\x01\x02\x1b\x7f" * 10 + b"\n\t\n")
    (folder / "bell.txt").write_bytes(
        b"Wire\r\n\r\nBuses left\x07 the Yarmouk camp\x00 at dawn.\x1b[2J The fighters "
        b"went to the eastern desert.\r\n")
    (folder / "export.jsonl").write_text(
        article_line("escaped-nul", "\u0000\u0001\u0085") + "\n" +
        article_line("mixed", "Convoys\u0000 reached Idlib\u0008 on Monday.",
                     title="Con\u0007voys") + "\n", encoding="utf-8")
    result = run(["index", "add", str(folder)], env, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [nuls] = problem_lines(result.stderr, "nuls.txt")
    assert "no text left once control characters are removed" in nuls
    [utf16] = problem_lines(result.stderr, "utf16.txt")
    assert "35 of 70 characters are control characters" in utf16
    [controls] = problem_lines(result.stderr, "only-controls.txt")
    assert "no text left once control characters are removed" in controls
    [escaped] = problem_lines(result.stderr, "export.jsonl:1")
    assert "'text' has no text once control characters are removed" in escaped
    texts = stored(env)
    assert not {"nuls", "utf16", "only-controls", "escaped-nul"} & set(texts)
    assert texts["bell"] == ("Buses left the Yarmouk camp at dawn.[2J The fighters went to "
                             "the eastern desert.")
    assert texts["mixed"] == "Convoys reached Idlib on Monday."
    assert not any(ch in text for text in texts.values() for ch in CONTROLS)
    shown = json.loads(run(["articles", "show", "mixed", "--json"], env).stdout)
    assert shown["title"] == "Convoys"
    answer = json.loads(run(["ask", "--json", "Where did the convoys go?"], env).stdout)
    assert not any(ch in q["text"] for q in answer["quotes"] for ch in CONTROLS)
    assert run(["index", "verify"], env, timeout=300).returncode == 0


def test_verify_is_not_fooled_by_a_nul_in_an_indexed_text(writable_home, cli_env,
                                                          light_encoder):
    # An index written before the readers removed control characters (or through the
    # library, bypassing them) may hold a NUL; SQLite's length() stops there.
    text = "Before the NUL\x00 the text goes on. A second sentence follows it here."
    update_index(writable_home, light_encoder, add=[Article(id="old-nul", text=text)],
                 progress=False)
    result = run(["index", "verify", "--skip-model"], env_for(writable_home, cli_env))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 6 articles")


# -- 2 and 3. JSON Lines: one bad line is one problem; lines end at "\n" only ----------

DEEP = "[" * 100_000 + "]" * 100_000  # RecursionError in json.loads
HUGE_INT = '{"id": "digits", "text": "x", "n": ' + "1" * 5000 + "}"  # ValueError


def test_one_bad_jsonl_line_is_one_problem_and_the_other_lines_are_indexed(
        writable_home, cli_env, tmp_path):
    env = env_for(writable_home, cli_env)
    batch = tmp_path / "export.jsonl"
    batch.write_text("\n".join([article_line("wire-1", WIRE["text"]), DEEP, HUGE_INT,
                                article_line("wire-2", "Rain closed the coast road on "
                                                       "Tuesday. Buses took the hills.")])
                     + "\n", encoding="utf-8")
    result = run(["index", "add", str(batch)], env, timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    assert [line.split(": ", 2)[1] for line in result.stderr.splitlines()] == [
        f"skipped {batch}:2", f"skipped {batch}:3"]
    assert "nested too deeply" in result.stderr
    assert "2 added" in result.stdout
    assert {"wire-1", "wire-2"} <= set(stored(env))


def test_jsonl_lines_end_at_newline_only_and_line_numbers_are_right(writable_home,
                                                                    cli_env, tmp_path):
    env = env_for(writable_home, cli_env)
    separated = "Buses left the camp at dawn.\u2028The fighters went east.\u2029Later, " \
                "a witness\u0085 spoke to reporters."
    batch = tmp_path / "export.jsonl"
    # json.dumps(ensure_ascii=False) writes U+2028, U+2029 and U+0085 unescaped.
    batch.write_text("\n".join([article_line("separators", separated, title="A\u2028B"),
                                "not json",
                                article_line("after", "Rain closed the coast road on "
                                                      "Tuesday.")]) + "\n",
                     encoding="utf-8")
    result = run(["index", "add", str(batch)], env, timeout=300)
    assert result.returncode == 1
    assert problem_lines(result.stderr, "skipped") == [
        f"isnad: skipped {batch}:2: not JSON (Expecting value)"]
    texts = stored(env)
    # U+0085 (NEL) is a control character written as a line break: it becomes one.
    assert texts["separators"] == separated.replace("\u0085", "\n")
    assert "after" in texts


def test_watch_survives_a_bad_line_and_indexes_later_files(writable_home, cli_env,
                                                           tmp_path):
    folder = tmp_path / "dropbox"
    watcher = start_watch(folder, env_for(writable_home, cli_env))
    try:
        (folder / "first.jsonl").write_text(
            DEEP + "\n" + article_line("wire-1", WIRE["text"]) + "\n", encoding="utf-8")
        wait_for_article(writable_home, "wire-1", watcher)
        (folder / "later.jsonl").write_text(
            article_line("wire-2", "Rain closed the coast road on Tuesday.") + "\n",
            encoding="utf-8")
        wait_for_article(writable_home, "wire-2", watcher)
    finally:
        out, err = stop_watch(watcher)
    assert watcher.returncode == 0, err
    assert "Traceback" not in err
    assert f"skipped {folder / 'first.jsonl'}:1: not JSON that can be read: nested " \
           "too deeply" in out


def wait_for_article(home: IndexHome, article_id: str, process: subprocess.Popen[str],
                     seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        index = LocalIndex(home)
        try:
            if index.catalog.article(article_id) is not None:
                return
        finally:
            index.close()
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{article_id} was never indexed"
        time.sleep(0.3)


# -- 4. Regular files only, no links out of the folder, a size cap ---------------------

def test_fifos_devices_links_out_and_huge_files_are_not_read(writable_home, cli_env,
                                                             tmp_path):
    env = {**env_for(writable_home, cli_env), "ISNAD_MAX_ARTICLE_BYTES": "20000"}
    secret = tmp_path / "secret.txt"
    secret.write_text("Token\n\nThe token is 123456:SECRET-do-not-quote. Keep it safe.\n")
    folder = tmp_path / "incoming"
    (folder / "sub").mkdir(parents=True)
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "token.txt").symlink_to(secret)
    (folder / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    (folder / "huge.txt").write_text("Huge\n\n" + "A very long line. " * 2000)
    (folder / "huge.jsonl").write_text(
        article_line("too-long", "word " * 5000) + "\n" + article_line("fits", WIRE["text"]))
    (folder / "sub" / "inside.txt").write_text(
        "Inside\n\nRain closed the coast road on Tuesday. Buses took the hills.\n")
    (folder / "inside-link.txt").symlink_to(folder / "sub" / "inside.txt")
    # A FIFO made `add` wait forever for a writer: the timeout is the test.
    result = run(["index", "add", str(folder)], env, timeout=240)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    expected = {
        "pipe.txt": "not a regular file but a named pipe (FIFO): not read",
        "zero.txt": "symbolic link to /dev/zero, outside",
        "token.txt": f"symbolic link to {secret}, outside {folder}: not followed",
        "elsewhere": f"symbolic link to {tmp_path}, outside {folder}: not followed",
        "huge.txt": "larger than 20,000 bytes, the limit for one article "
                    "(ISNAD_MAX_ARTICLE_BYTES): not read",
        "huge.jsonl:1": "line longer than 20,000 bytes, the limit for one article "
                        "(ISNAD_MAX_ARTICLE_BYTES): skipped",
    }
    for name, message in expected.items():
        [line] = problem_lines(result.stderr, f"{folder / name}:")
        assert message in line, line
    texts = stored(env)
    assert {"fits", "inside-link"} <= set(texts)  # a link inside the folder is read there
    assert not {"pipe", "zero", "token", "huge", "too-long"} & set(texts)
    assert not any("SECRET" in text for text in texts.values())
    # Named on the command line, a file outside is read: the user asked for it; a
    # device is not, named or not.
    named = run(["index", "add", str(folder / "token.txt"), "/dev/zero"], env, timeout=240)
    assert "/dev/zero: not a regular file but a device" in named.stderr
    assert "token" in stored(env)


#: Linux capabilities by which root reads and lists whatever the permissions say.
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
PR_CAPBSET_DROP = 24


def _bound_by_permissions() -> None:
    """preexec_fn: as root, drop the two capabilities that let root ignore file
    permissions from the bounding set, so the command (still root, with its files)
    meets a chmod-000 folder as any other user does. A no-op for other users."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_an_unreadable_subfolder_is_reported_not_skipped_silently(writable_home, cli_env,
                                                                  tmp_path):
    env = env_for(writable_home, cli_env)
    folder = tmp_path / "incoming"
    locked = folder / "locked"
    locked.mkdir(parents=True)
    (folder / "open.jsonl").write_text(article_line("wire-1", WIRE["text"]) + "\n")
    (locked / "hidden.jsonl").write_text(article_line("hidden", "Not seen.") + "\n")
    locked.chmod(0)
    try:
        probe = subprocess.run(["ls", str(locked)], capture_output=True,
                               preexec_fn=_bound_by_permissions)
        if probe.returncode == 0:
            pytest.skip("permissions cannot be made to bind here (root keeps its override)")
        result = subprocess.run([*ISNAD, "index", "add", str(folder)], env=env, text=True,
                                capture_output=True, timeout=300,
                                preexec_fn=_bound_by_permissions)
    finally:
        locked.chmod(0o700)
    assert result.returncode == 1, result.stderr
    assert problem_lines(result.stderr, str(locked)) == [
        f"isnad: skipped {locked}: cannot read this folder (Permission denied): the "
        "articles in it are not read"]
    assert "1 added" in result.stdout


# -- 5. A deleted `current` link never replaces the index -------------------------------

def test_a_deleted_current_link_is_recovered_not_replaced(writable_home, cli_env, tmp_path):
    env = env_for(writable_home, cli_env)
    batch = tmp_path / "wire.jsonl"
    batch.write_text(json.dumps(WIRE) + "\n")
    assert run(["index", "add", str(batch)], env, timeout=300).returncode == 0
    generations = sorted(p.name for p in writable_home.generations.iterdir())
    assert len(generations) == 2
    writable_home.current.unlink()

    outcomes = {args[1] if args[0] == "index" else args[0]: run(args, env, timeout=300)
                for args in (["ask", "Where is Yarmouk?"], ["articles", "list"],
                             ["index", "status"], ["index", "add", str(batch)],
                             ["index", "verify"], ["index", "rebuild"])}
    for name, result in outcomes.items():
        assert_clean_failure(result, 1)
        assert "`isnad index recover`" in result.stderr, name
    # verify and rebuild say the same thing: what to run.
    assert outcomes["verify"].stderr == outcomes["rebuild"].stderr
    assert sorted(p.name for p in writable_home.generations.iterdir()) == generations

    recovered = run(["index", "recover"], env)
    assert recovered.returncode == 0, recovered.stderr
    assert f"is now {writable_home.generations / generations[-1]} (6 articles)" in \
        recovered.stdout
    assert run(["index", "verify"], env, timeout=300).stdout.startswith("ok: 6 articles")
    assert "wire-7" in run(["articles", "list"], env).stdout
    assert run(["index", "recover"], env).stdout.startswith("nothing to recover")

    # A link to a generation that is gone: the one before it is still kept.
    os.replace(writable_home.generations / generations[-1], tmp_path / "moved-away")
    recovered = run(["index", "recover"], env)
    assert recovered.returncode == 0, recovered.stderr
    assert "(5 articles)" in recovered.stdout


# -- 6. A damaged embedding cache ---------------------------------------------------------

def test_a_garbage_embedding_cache_is_moved_aside_with_a_warning(writable_home, cli_env,
                                                                 tmp_path):
    env = env_for(writable_home, cli_env)
    [cache] = writable_home.cache_dir.glob("embeddings-*.sqlite")
    cache.write_bytes(os.urandom(8192))
    batch = tmp_path / "wire.jsonl"
    batch.write_text(json.dumps(WIRE) + "\n")
    result = run(["index", "add", str(batch)], env, timeout=300)
    assert result.returncode == 0, result.stderr
    # (its -wal and -shm files, where a reader left them, go aside with it)
    [aside] = [p for p in writable_home.cache_dir.glob(f"{cache.name}.damaged-*")
               if not p.name.endswith(("-wal", "-shm"))]
    assert result.stderr.splitlines() == [
        f"isnad: warning: the embedding cache {cache} was not a database (file is not a "
        f"database): moved aside to {aside} and started empty (it only saves embedding "
        "texts again; delete the old file when you like)"]
    assert "1 added" in result.stdout
    assert run(["index", "rebuild"], env, timeout=300).returncode == 0  # the new cache works


def test_an_embedding_cache_that_cannot_be_opened_is_one_line(writable_home, cli_env,
                                                               tmp_path):
    env = env_for(writable_home, cli_env)
    [cache] = writable_home.cache_dir.glob("embeddings-*.sqlite")
    cache.unlink()
    cache.mkdir()  # SQLite: "unable to open database file"
    batch = tmp_path / "wire.jsonl"
    batch.write_text(json.dumps(WIRE) + "\n")
    result = run(["index", "add", str(batch)], env, timeout=300)
    assert_clean_failure(result, 1)
    assert f"the embedding cache {cache} cannot be opened" in result.stderr


# -- 7. HTML pages ------------------------------------------------------------------------

PAGE_HTML = """<html><head><title>Convoy reaches Idlib</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Convoy reaches Idlib</h1>
<p>The last convoy of buses from the Yarmouk camp reached Idlib on Monday evening, a
witness told reporters at the crossing.</p>
<p>Aid groups said the families on board would be housed in schools for the first
weeks, while the camps near the border are full.</p>
</article><footer>Copyright</footer></body></html>"""

BLOCK_HTML_CLEAN = """import sys


class _Missing:  # lxml_html_clean not installed, as on a machine that never got it
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "lxml_html_clean":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, _Missing())
"""


def test_html_pages_are_read_and_the_html_cleaner_is_a_declared_dependency(
        writable_home, cli_env, tmp_path):
    from importlib.metadata import requires

    assert any(r.replace(" ", "").startswith(("lxml[html_clean]", "lxml_html_clean"))
               for r in requires("isnad") or [])
    env = env_for(writable_home, cli_env)
    page = tmp_path / "convoy.html"
    page.write_text(PAGE_HTML)
    result = run(["index", "add", str(page)], env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Yarmouk camp reached Idlib" in stored(env)["convoy"]


def test_one_html_page_that_fails_loses_no_other_file(writable_home, cli_env, tmp_path):
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCK_HTML_CLEAN)
    env = {**env_for(writable_home, cli_env), "PYTHONPATH": str(blocker)}
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "a-convoy.html").write_text(PAGE_HTML)
    (folder / "b-wire.jsonl").write_text(json.dumps(WIRE) + "\n")
    result = run(["index", "add", str(folder)], env, timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    [line] = problem_lines(result.stderr, "a-convoy.html")
    assert "pip install 'lxml[html_clean]'" in line
    assert "1 added" in result.stdout


# -- 8. Invalid UTF-8 on stdin, a strict locale ------------------------------------------

@pytest.mark.parametrize("locale", [{"LC_ALL": "C"}, {"LC_ALL": "C", "PYTHONUTF8": "0"}])
def test_invalid_utf8_on_stdin_is_replaced_and_the_output_is_utf8(cli_env, locale):
    env = {k: v for k, v in cli_env.items()
           if k not in ("PYTHONIOENCODING", "PYTHONUTF8", "LANG", "LC_CTYPE")}
    env.update(locale)
    arabic = "من يسيطر على الحجر الأسود؟"
    stdin = b"Where\xff is the Yarmouk camp?\n\xff\xfe\xc3\n" + arabic.encode() + b"\n"
    result = subprocess.run([*ISNAD, "ask", "--json", "-"], env=env, input=stdin,
                            capture_output=True, timeout=180)
    assert result.returncode == 2  # the line of only invalid bytes
    lines = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert [line["question"] for line in lines] == [
        "Where\ufffd is the Yarmouk camp?", "\ufffd\ufffd\ufffd", arabic]
    assert lines[0]["quotes"] and lines[2]["quotes"] and "error" in lines[1]
    result.stderr.decode("utf-8")


# -- 9. verify is linear in the size of an article -----------------------------------------

def cache_vectors_for(home: IndexHome, encoder, articles: list[Article]) -> None:
    """Put a vector for every passage, sentence and window of ``articles`` into the embedding
    cache, so that indexing them embeds nothing (random unit vectors: this is about
    the catalog's size, not search quality)."""
    texts = []
    for article in articles:
        sentences, passages = split_article(article)
        texts += [article.text[p.start:p.end] for p in passages]
        texts += [article.text[s.start:s.end] for s in sentences]
        texts += window_texts([article.text[s.start:s.end] for s in sentences])
    rng = np.random.default_rng(16)
    vectors = rng.standard_normal((len(texts), encoder.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    cache = EmbeddingCache(EmbeddingCache.path_for(home.cache_dir, encoder.fingerprint()),
                           encoder.dim)
    try:
        cache.put_many(zip([text_hash(t) for t in texts], vectors, strict=True))
    finally:
        cache.close()


def test_verify_of_one_huge_article_takes_seconds(writable_home, cli_env, light_encoder):
    sentence = "قال المتحدث إن الوفد وصل إلى المدينة صباح اليوم لبحث الملف رقم {} مع المسؤولين. "
    huge = Article(id="huge", text="".join(sentence.format(i) for i in range(30_000)))
    assert 4_000_000 < len(huge.text.encode()) < 5_000_000  # just under the article cap
    cache_vectors_for(writable_home, light_encoder, [huge])
    report = update_index(writable_home, light_encoder, add=[huge], progress=False)
    assert report.embedded == 0 and report.passages > 10_000
    # Quadratic, this took minutes (SQLite's length() of the whole text per row).
    started = time.monotonic()
    result = run(["index", "verify", "--skip-model"], env_for(writable_home, cli_env),
                 timeout=90)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60


# -- 10. Owner-only files and folders -----------------------------------------------------

def test_isnad_home_is_owner_only_whatever_the_umask(cli_env, tmp_path):
    home = tmp_path / "new" / "home"
    env = {**cli_env, "ISNAD_HOME": str(home)}
    batch = tmp_path / "wire.jsonl"
    batch.write_text(json.dumps(WIRE) + "\n")
    built = subprocess.run([*ISNAD, "index", "build", str(batch)], env=env, text=True,
                           capture_output=True, timeout=300, preexec_fn=lambda: os.umask(0))
    assert built.returncode == 0, built.stderr
    batch.write_text(json.dumps({**WIRE, "id": "wire-8", "text": "Rain closed the coast "
                                 "road on Tuesday."}) + "\n")
    added = subprocess.run([*ISNAD, "index", "add", str(batch)], env=env, text=True,
                           capture_output=True, timeout=300, preexec_fn=lambda: os.umask(0))
    assert added.returncode == 0, added.stderr
    modes = {home.parent: stat.S_IMODE(home.parent.stat().st_mode)}
    for root, dirs, files in os.walk(home):
        for name in [*dirs, *files, ""]:
            path = Path(root, name)
            if not path.is_symlink():
                modes[path] = stat.S_IMODE(path.stat().st_mode)
    wrong = {str(p): oct(m) for p, m in modes.items()
             if m != (0o700 if p.is_dir() else 0o600)}
    assert not wrong
    assert any(p.name == "catalog.sqlite" for p in modes)
    assert any(p.name.startswith("embeddings-") for p in modes)


# -- 11. Bad setting values ----------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value"), [("ISNAD_TOP", "abc"), ("ISNAD_TOP", "0"),
                                                 ("ISNAD_MAX_ARTICLE_BYTES", "lots"),
                                                 ("ISNAD_WINDOWS", "sometimes"),
                                                 ("ISNAD_ADMIN_IDS", "me")])
def test_a_bad_setting_is_one_line_naming_it_and_exit_2(cli_env, variable, value):
    result = run(["ask", "Where is Yarmouk?"], {**cli_env, variable: value})
    assert_clean_failure(result, 2)
    assert result.stderr.startswith(f"isnad: {variable} {value!r} is not a valid value (")
    assert "ValidationError" not in result.stderr

