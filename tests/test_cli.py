"""The `isnad` command as a user runs it: real processes, real exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import terminal

from isnad.home import IndexHome

ISNAD = [sys.executable, "-m", "isnad"]


def run(args: list[str], env: dict[str, str], stdin: str | None = None,
        timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(ISNAD + args, env=env, input=stdin, capture_output=True, text=True,
                          timeout=timeout)


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().startswith("isnad: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_ask_json_contract_matches_articles_show(cli_env):
    result = run(["ask", "--json", "--top", "3", "Where was ISIS to be evacuated to?"], cli_env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"question", "language", "answered", "reader", "query_adapter",
                           "quotes"}
    # The light model answers without a reader and without a query adapter.
    assert answer["reader"] is None and answer["query_adapter"] is None
    assert answer["language"] == "en"
    assert 1 <= len(answer["quotes"]) <= 3
    for quote in answer["quotes"]:
        assert set(quote) == {"text", "article_id", "title", "source", "published", "url",
                              "start", "end", "score", "also"}
        shown = run(["articles", "show", quote["article_id"], "--json"], cli_env)
        article = json.loads(shown.stdout)
        assert set(article) == {"id", "title", "source", "published", "url", "text"}
        assert article["text"][quote["start"]:quote["end"]] == quote["text"]


def test_ask_reads_many_questions_from_stdin_and_keeps_going_after_a_bad_one(cli_env):
    stdin = "Where is the Yarmouk camp?\n😀😀\nمن يسيطر على الحجر الأسود؟\n"
    result = run(["ask", "--json", "-"], cli_env, stdin=stdin)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[0]["quotes"] and lines[2]["quotes"]
    assert "error" in lines[1]
    assert result.returncode == 2


@pytest.mark.parametrize(("question", "fragment"), [
    ("", "empty"),
    ("   ", "empty"),
    ("x" * 20_000, "too long"),
    ("😀🔥🎉", "no words"),
])
def test_bad_questions_get_one_clear_line_and_exit_2(cli_env, question, fragment):
    result = run(["ask", question], cli_env)
    assert_clean_failure(result, 2)
    assert fragment in result.stderr


@pytest.mark.parametrize("question", [
    "<b>Where</b> was <i>ISIS</i> to be evacuated to?",
    "\u202eWhere was ISIS\x07 to be evacuated\u200f to?",
    "Où les combattants de l'État islamique devaient-ils être évacués ?",
    "أين SY24 ISIS مخيم اليرموك؟",
])
def test_odd_but_meaningful_questions_are_answered(cli_env, question):
    result = run(["ask", "--json", question], cli_env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "<" not in answer["question"] and "\u202e" not in answer["question"]


def test_text_output_attributes_every_quote(cli_env):
    result = run(["ask", "أين مخيم اليرموك؟"], cli_env)
    assert result.returncode == 0
    assert result.stdout.count("— ") >= 1
    assert "«" in result.stdout


def test_missing_article_and_unknown_command_fail_cleanly(cli_env):
    assert_clean_failure(run(["articles", "show", "no-such-id"], cli_env), 2)
    assert run(["frobnicate"], cli_env).returncode == 2


def test_articles_list_shows_the_bundled_corpus(cli_env):
    result = run(["articles", "list", "--json"], cli_env)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 5
    assert all("text" not in row for row in rows)


def test_a_corrupt_index_is_reported_with_what_to_do(cli_env, tmp_path, light_home):
    home = tmp_path / "home"
    shutil.copytree(light_home, home, symlinks=True)
    generation = IndexHome(home).current.resolve()
    (generation / "catalog.sqlite").write_bytes(b"\0" * 4096)
    result = run(["ask", "Where is Yarmouk?"], {**cli_env, "ISNAD_HOME": str(home)})
    assert_clean_failure(result, 1)
    assert "isnad index build" in result.stderr


def test_index_build_skips_unreadable_files_and_indexes_the_rest(cli_env, tmp_path, light_home):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(light_home / "cache", home / "cache")  # no re-embedding of the seeds
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.jsonl").write_text(json.dumps({
        "id": "wire-1", "title": "Wire", "source": "Agency", "url": None, "published": None,
        "text": "Buses left the Yarmouk camp at dawn. Fighters went to the desert."},
        ensure_ascii=False) + "\nnot json\n", encoding="utf-8")
    (folder / "latin1.txt").write_bytes("caf\xe9 news".encode("latin-1"))
    (folder / "empty.txt").write_text("")
    env = {**cli_env, "ISNAD_HOME": str(home)}
    result = run(["index", "build", str(folder), str(tmp_path / "missing")], env, timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for name in ("good.jsonl:2", "latin1.txt", "empty.txt", "missing"):
        assert name in result.stderr
    status = json.loads(run(["index", "status", "--json"], env).stdout)
    assert status["articles"] == 1 and status["model"] == "e5-small-q4"
    assert {"articles", "passages", "model", "updated", "bytes"} <= set(status)


def test_eval_reports_metrics_for_a_jsonl_set(cli_env, tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(item, ensure_ascii=False) for item in [
        {"id": "1", "question": "ما هي منطقة بيار القصب؟", "answerable": True,
         "answers": ["بيار القصب"], "article_ids": ["000_2dbd39527d777f60"]},
        {"id": "2", "question": "Who won the 2018 World Cup?", "answerable": False,
         "answers": [], "article_ids": []},
    ]), encoding="utf-8")
    result = run(["eval", str(qa), "--json"], cli_env, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["questions"] == 2 and report["answerable"] == 1
    assert report["recall@1"] == 1.0
    assert 0 <= report["mrr@10"] <= 1


def test_help_is_available_for_every_command(cli_env):
    for args in (["--help"], ["ask", "--help"], ["index", "--help"], ["index", "build", "--help"],
                 ["articles", "show", "--help"], ["eval", "--help"], ["chat", "--help"]):
        result = run(args, cli_env)
        assert result.returncode == 0 and "Usage" in result.stdout


def test_chat_answers_until_an_empty_line(cli_env):
    result = run(["chat"], cli_env, stdin="أين مخيم اليرموك؟\n\n")
    assert result.returncode == 0
    assert "«" in result.stdout


def test_fresh_home_builds_the_bundled_index_on_first_use(cli_env, tmp_path, light_home):
    home = tmp_path / "fresh"
    home.mkdir()
    shutil.copytree(light_home / "cache", home / "cache")
    result = run(["ask", "--json", "Where is the Yarmouk camp?"],
                 {**cli_env, "ISNAD_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert "first use" in result.stderr
    assert IndexHome(Path(home)).exists()


def no_model_env(cli_env: dict[str, str], home: Path, model: str) -> dict[str, str]:
    """An environment where loading or fetching ``model`` fails fast and visibly
    (no hub, an empty package index) instead of downloading 1.2 GB."""
    empty_index = home.parent / "empty-index"
    empty_index.mkdir(exist_ok=True)
    return {**cli_env, "ISNAD_HOME": str(home), "ISNAD_MODEL": model, "HF_HUB_OFFLINE": "1",
            "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(empty_index)}


@pytest.mark.parametrize(("question", "fragment"), [("", "empty"), ("x" * 20_000, "too long")])
def test_a_bad_question_is_refused_before_any_model_loads(cli_env, tmp_path, question,
                                                          fragment):
    # A model that cannot load: had it been tried, the error would be about the model.
    home = tmp_path / "fresh"
    env = no_model_env(cli_env, home, str(tmp_path / "no-such-model"))
    result = run(["ask", question], env)
    assert_clean_failure(result, 2)
    assert fragment in result.stderr
    assert not IndexHome(home).exists()  # nor was the first-use index built


@pytest.mark.parametrize("args", [["ask", "Where is Yarmouk?"], ["chat"],
                                  ["index", "add", "CORPUS"], ["index", "remove", "x"],
                                  ["index", "verify"]])
def test_an_index_of_another_model_is_refused_before_the_model_is_fetched(
        cli_env, writable_home, args):
    corpus = str(Path(__file__).resolve().parents[1] / "corpus" / "bundled")
    env = no_model_env(cli_env, writable_home.root, "embeddinggemma")
    result = run([corpus if a == "CORPUS" else a for a in args], env, stdin="")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "e5-small-q4" in result.stderr and "embeddinggemma" in result.stderr
    assert "fetch" not in result.stderr
    models = writable_home.models_dir
    assert not models.exists() or not any(models.iterdir())


INVISIBLE = ("\u200e", "\u200f", "\u061c", "\u2066", "\u2067", "\u2068", "\u2069")


def test_redirected_answers_copy_verbatim(cli_env):
    question = "إلى أين كان من المقرر نقل عناصر تنظيم الدولة من جنوب دمشق؟"
    quotes = json.loads(run(["ask", "--json", question], cli_env).stdout)["quotes"]
    text = run(["ask", question], cli_env).stdout
    assert not any(mark in text for mark in INVISIBLE)
    for quote in quotes:
        assert f"«{quote['text']}»" in text  # on one line, not wrapped
    assert any(len(q["text"]) > 120 for q in quotes)  # long enough to have been wrapped


def test_on_a_terminal_arabic_quotes_keep_their_direction_marks(cli_env):
    result = terminal.run_on_terminal([*ISNAD, "ask", "أين مخيم اليرموك؟"], cli_env,
                                      on_terminal=("stdout",))
    assert result.returncode == 0, result.stderr
    assert "\u200f\u2068«" in result.screen
    quote_lines = [line for line in result.screen.splitlines()
                   if line.strip() and not line.lstrip().startswith("—")]
    visible = [sum(ch not in INVISIBLE for ch in line) for line in quote_lines]
    assert len(quote_lines) > 3 and max(visible) <= 100  # wrapped to the terminal
