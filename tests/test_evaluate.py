"""`isnad eval`: SQuAD-format sets with a parallel questions file and distractors; the
per-question details, figures by language, the Markdown report and `eval compare`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import matplotlib.image as matplotlib_image
import pytest

from isnad import __version__ as isnad_version
from isnad.errors import UserError
from isnad.eval_compare import compare_runs
from isnad.evaluate import eval_home, load_dataset, run_eval
from isnad.home import IndexHome
from isnad.retrieval.local import LocalIndex
from isnad.settings import Settings

PARAGRAPHS = [
    ("Harbour", "The old harbour was rebuilt in 1999. Fishing boats returned a year later.",
     "When was the harbour rebuilt?", "متى أعيد بناء الميناء؟", "1999"),
    ("Library", "The city library holds forty thousand books. It opens at nine every day.",
     "How many books does the library hold?", "كم كتابا في المكتبة؟", "forty thousand"),
]


def squad(path: Path, english: bool) -> Path:
    data = [{"title": title, "paragraphs": [{"context": context, "qas": [{
        "id": f"q{i}", "question": en if english else ar,
        "answers": [{"text": answer, "answer_start": context.index(answer)}]}]}]}
        for i, (title, context, en, ar, answer) in enumerate(PARAGRAPHS)]
    path.write_text(json.dumps({"data": data, "version": "1.1"}), encoding="utf-8")
    return path


def test_parallel_questions_replace_the_originals_by_id(tmp_path):
    _, questions = load_dataset(squad(tmp_path / "ar.json", False),
                                squad(tmp_path / "en.json", True), [])
    assert [q.question for q in questions] == [p[2] for p in PARAGRAPHS]


def test_distractors_are_indexed_beside_the_paragraphs(tmp_path, light_home):
    distractors = tmp_path / "distractors.jsonl"
    distractors.write_text(json.dumps({
        "id": "d1", "text": "The harbour festival drew crowds. Boats were decorated."}) + "\n")
    settings = Settings(home=tmp_path / "home", model="e5-small-q4")
    report = run_eval(settings, squad(tmp_path / "en.json", True), None, [distractors], 3,
                      None)
    assert report["questions"] == 2 and report["recall@1"] == 1.0
    articles, _ = load_dataset(tmp_path / "en.json", None, [distractors])
    index = LocalIndex(eval_home(settings, articles, "e5-small-q4"))
    assert index.catalog.count("articles") == 3 and index.catalog.article("d1") is not None

    (tmp_path / "broken.jsonl").write_text("not json\n")
    with pytest.raises(UserError, match="distractors"):
        load_dataset(tmp_path / "en.json", None, [tmp_path / "broken.jsonl"])


# -- `isnad eval` through the CLI: details, figures by language, report, compare --------

ISNAD = [sys.executable, "-m", "isnad"]
OWN_SET = Path(__file__).parent / "data" / "qa.jsonl"
#: A slice of the own set: Arabic and English, answerable and not.
PICKED = {"q001", "q002", "q003", "q004", "q005", "q006", "q007", "q008", "q010", "q014",
          "q055", "q063", "q065", "q072", "q076", "q077"}


def isnad(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(ISNAD + args, env=env, capture_output=True, text=True, timeout=300)


def assert_one_line_failure(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith("isnad: ") and len(result.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def qa_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("qa") / "picked.jsonl"
    lines = [line for line in OWN_SET.read_text(encoding="utf-8").splitlines()
             if line.strip() and json.loads(line)["id"] in PICKED]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def module_env(light_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"ISNAD_HOME": str(light_home), "ISNAD_MODEL": "e5-small-q4", "NO_COLOR": "1"})
    env.pop("ISNAD_DEBUG", None)
    return env


@pytest.fixture(scope="module")
def full_run(qa_set: Path, module_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[dict, list[dict], Path]:
    """One `isnad eval --json --details --report` run, read by several tests."""
    out = tmp_path_factory.mktemp("eval-out")
    result = isnad(["eval", str(qa_set), "--json", "--details", str(out / "rows.jsonl"),
                    "--report", str(out / "report")], module_env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    return json.loads(result.stdout), rows, out / "report"


def test_eval_output_names_model_reader_version_date_and_timing(full_run):
    report, _, _ = full_run
    assert report["model"] == "e5-small-q4"
    assert report["reader"] is None and report["query_adapter"] is None
    assert report["isnad_version"] == isnad_version
    ran = datetime.fromisoformat(report["date"])
    assert abs((datetime.now(UTC) - ran).total_seconds()) < 600
    timing = report["timing"]
    assert timing["questions_s"] > 0 and timing["total_s"] >= timing["questions_s"]
    assert 0 < timing["median_ms"] <= timing["p95_ms"]
    assert report["top"] == 3 and report["abstain_below"] is not None


def test_details_has_one_row_per_question_with_verbatim_ranked_quotes_and_outcome(
        full_run, light_home):
    report, rows, _ = full_run
    assert sorted(row["id"] for row in rows) == sorted(PICKED)
    catalog = LocalIndex(IndexHome(light_home)).catalog
    gold = {json.loads(line)["id"]: json.loads(line)
            for line in OWN_SET.read_text(encoding="utf-8").splitlines() if line.strip()}
    for row in rows:
        item = gold[row["id"]]
        assert row["question"] == item["question"] and row["language"] == item["language"]
        assert row["gold"] == {"answers": item["answers"], "article_ids": item["article_ids"]}
        assert [q["rank"] for q in row["quotes"]] == list(range(1, len(row["quotes"]) + 1))
        for quote in row["quotes"]:
            text = catalog.article(quote["article_id"]).text
            assert text[quote["start"]:quote["end"]] == quote["text"]
        shown = row["quotes"][:report["top"]]
        if item["answerable"]:
            found = any(a in q["text"] for a in item["answers"] for q in shown)
            assert row["outcome"] == ("hit" if found else "miss")
        else:
            assert row["outcome"] == ("answered" if row["answered"] else "abstained")
        assert row["answered"] == (row["best_similarity"] >= report["abstain_below"])


def test_figures_are_split_by_language_and_agree_with_the_rows(full_run):
    report, rows, _ = full_run
    assert set(report["by_language"]) == {"ar", "en"}
    for language, figures in report["by_language"].items():
        mine = [r for r in rows if r["language"] == language]
        answerable = [r for r in mine if r["answerable"]]
        assert figures["questions"] == len(mine) and figures["answerable"] == len(answerable)
        hits = sum(r["outcome"] == "hit" for r in answerable)
        assert figures["answer_in_quote@3"] == round(hits / len(answerable), 4)
        curve = [figures["answer_in_quote@k"][str(k)] for k in range(1, 11)]
        assert curve == sorted(curve) and curve[2] == figures["answer_in_quote@3"]
    assert sum(f["questions"] for f in report["by_language"].values()) == report["questions"]
    assert report["outcomes"] == {r["id"]: {"hit": r["outcome"] == "hit" if r["answerable"]
                                            else None, "answered": r["answered"]}
                                  for r in rows}


def test_report_dir_holds_markdown_tables_and_readable_plots(full_run):
    report, _, folder = full_run
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "e5-small-q4" in markdown and isnad_version in markdown
    assert re.search(r"^\| ar \|", markdown, re.M) and re.search(r"^\| en \|", markdown, re.M)
    images = re.findall(r"!\[[^]]*\]\(([^)]+\.png)\)", markdown)
    assert len(images) == 2
    for name in images:
        pixels = matplotlib_image.imread(folder / name)
        assert pixels.shape[0] > 300 and pixels.shape[1] > 400
        assert pixels.std() > 0.05  # something is drawn
    assert json.loads((folder / "eval.json").read_text()) == report


def test_report_without_matplotlib_is_refused_before_any_work(qa_set, module_env, tmp_path):
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "matplotlib.py").write_text("raise ImportError(\"No module named 'matplotlib'\")\n")
    home = tmp_path / "home"
    env = {**module_env, "ISNAD_HOME": str(home), "PYTHONPATH": str(stub)}
    result = isnad(["eval", str(qa_set), "--report", str(tmp_path / "out")], env)
    assert_one_line_failure(result, 2)
    assert "isnad[report]" in result.stderr
    assert not (home / "eval").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("option", "make", "fragment"), [
    ("--details", lambda p: p.mkdir(), "is a folder"),
    ("--report", lambda p: p.write_text("x"), "is a file"),
])
def test_unusable_output_paths_are_refused_before_any_work(option, make, fragment, qa_set,
                                                           module_env, tmp_path):
    target = tmp_path / "out"
    make(target)
    home = tmp_path / "home"
    result = isnad(["eval", str(qa_set), option, str(target)],
                   {**module_env, "ISNAD_HOME": str(home)})
    assert_one_line_failure(result, 2)
    assert fragment in result.stderr and not (home / "eval").exists()


def test_compare_lists_gained_and_lost_questions_and_metric_deltas(full_run, qa_set,
                                                                   module_env, tmp_path):
    # A shows eight quotes, B (the shared run) three: B loses the questions whose answer
    # is only in quotes 4 to 8, and the ranking itself does not move.
    b_report, _, folder = full_run
    eight = isnad(["eval", str(qa_set), "--top", "8", "--json"], module_env)
    assert eight.returncode == 0, eight.stderr
    a_file = tmp_path / "top8.json"
    a_file.write_text(eight.stdout)
    a_report = json.loads(eight.stdout)

    result = isnad(["eval", "compare", str(a_file), str(folder), "--json"], module_env)
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    a_hits = {i for i, o in a_report["outcomes"].items() if o["hit"]}
    b_hits = {i for i, o in b_report["outcomes"].items() if o["hit"]}
    assert diff["lost"] == sorted(a_hits - b_hits) and diff["lost"]
    assert diff["gained"] == sorted(b_hits - a_hits)
    assert (diff["a"]["top"], diff["b"]["top"]) == (8, 3)
    figure = diff["metrics"]["answer_in_quote@k.3"]
    assert figure == {"a": a_report["answer_in_quote@k"]["3"],
                      "b": b_report["answer_in_quote@k"]["3"], "delta": 0}
    assert diff["metrics"]["recall@1"]["delta"] == 0  # --top does not change the ranking
    assert diff["metrics"]["by_language.en.recall@5"]["delta"] == 0

    text = isnad(["eval", "compare", str(folder / "eval.json"), str(a_file)], module_env)
    assert text.returncode == 0, text.stderr
    gained_line = next(line for line in text.stdout.splitlines() if line.startswith("gained"))
    assert gained_line.split(": ", 1)[1].split() == diff["lost"]


def test_compare_reads_bench_result_files_and_older_reports(tmp_path):
    older = {"own": {"questions": 3, "answerable": 2, "recall@1": 0.5, "misses": ["q1"]},
             "xquad-ar": {"questions": 2, "answerable": 2, "recall@1": 1.0, "misses": []}}
    newer = {"own": {"questions": 3, "answerable": 2, "recall@1": 1.0, "misses": ["q2"],
                     "outcomes": {"q1": {"hit": True, "answered": True},
                                  "q2": {"hit": False, "answered": False},
                                  "q3": {"hit": None, "answered": False}}},
             "model": "e5-small-q4"}
    diff = compare_runs(older, newer)
    assert list(diff["sets"]) == ["own"]
    own = diff["sets"]["own"]
    assert own["gained"] == ["q1"] and own["lost"] == ["q2"]
    assert own["metrics"]["recall@1"] == {"a": 0.5, "b": 1.0, "delta": 0.5}
    assert own["inferred_from_misses"] is True


@pytest.mark.parametrize("content", [None, "not json", "[1, 2]", '{"a": 1}'])
def test_compare_refuses_what_is_not_an_eval_report_in_one_line(content, tmp_path,
                                                                 module_env):
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"questions": 1, "answerable": 1, "misses": []}))
    result = isnad(["eval", "compare", str(good), str(bad)], module_env)
    assert_one_line_failure(result, 2)
    assert "bad.json" in result.stderr


def test_eval_help_lists_every_option_and_the_compare_command(module_env):
    result = isnad(["eval", "--help"], module_env)
    assert result.returncode == 0
    for option in ("--questions", "--corpus", "--top", "--json", "--limit", "--details",
                   "--report", "compare"):
        assert option in result.stdout
    assert isnad(["eval", "compare", "--help"], module_env).returncode == 0


def test_every_bench_result_names_its_model_version_and_date():
    """A figure without its model, Isnad version and date cannot be compared or trusted
    later; in quality files each set's report carries them."""
    results = Path(__file__).resolve().parents[1] / "bench" / "results"
    files = sorted(results.glob("*.json"))
    assert files
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        runs = data if isinstance(data, list) else \
            list(data.values()) if path.name.startswith("quality-") else [data]
        for run in runs:
            assert run.get("model") and run.get("isnad_version") and run.get("date"), path.name
