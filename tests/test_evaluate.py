"""`isnad eval` on SQuAD-format sets, with a parallel questions file and distractors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isnad.errors import UserError
from isnad.evaluate import eval_home, load_dataset, run_eval
from isnad.retrieval.index import Index
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
    index = Index(eval_home(settings, articles, "e5-small-q4"))
    assert index.catalog.count("articles") == 3 and index.catalog.article("d1") is not None

    (tmp_path / "broken.jsonl").write_text("not json\n")
    with pytest.raises(UserError, match="distractors"):
        load_dataset(tmp_path / "en.json", None, [tmp_path / "broken.jsonl"])
