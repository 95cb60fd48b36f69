"""bench/news_dev.py's set: its answers are kept as spans of SaudiNewsNet articles (the
licence keeps their text out of the project), so what must hold is that every span
still reads as the answer it was written as, inside one sentence of its article, and
that the set shares no question with the own development or test sets."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from isnad.corpus.model import Article
from isnad.corpus.sentences import split_article

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="module")
def news_dev() -> ModuleType:
    if not (SHARED / "data" / "saudinewsnet").is_dir():
        pytest.skip("needs ../shared/data/saudinewsnet")
    sys.path.insert(0, str(ROOT / "bench"))
    return importlib.import_module("news_dev")


@pytest.fixture(scope="module")
def resolved(news_dev: ModuleType, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[dict[str, str], list[dict]]:
    articles, questions = news_dev.materialise(tmp_path_factory.mktemp("news-dev"))
    texts = {a["id"]: a["text"] for a in map(json.loads, articles.read_text().splitlines())}
    return texts, [json.loads(line) for line in questions.read_text().splitlines()]


def test_every_answer_lies_inside_one_sentence_of_each_gold_article(
        resolved: tuple[dict[str, str], list[dict]]) -> None:
    texts, questions = resolved
    answerable = [q for q in questions if q["answerable"]]
    assert len(answerable) == 51 and len(questions) - len(answerable) == 18
    for q in answerable:
        assert q["answers"] and q["article_ids"]
        for article_id in q["article_ids"]:
            article = Article(id=article_id, text=texts[article_id])
            spans, _ = split_article(article)
            assert any(answer in article.text[s.start:s.end]
                       for s in spans for answer in q["answers"]), q["id"]
    assert all(not q["answers"] and not q["article_ids"]
               for q in questions if not q["answerable"])


def test_a_span_that_no_longer_reads_as_its_answer_stops_the_run(
        news_dev: ModuleType) -> None:
    span = {"article_id": "a", "start": 0, "end": 5, "sha256": "0" * 16}
    with pytest.raises(SystemExit, match="another copy"):
        news_dev.span_text("some article text", span)


def test_no_question_is_shared_with_the_own_sets(
        resolved: tuple[dict[str, str], list[dict]]) -> None:
    _, questions = resolved
    own = {json.loads(line)["question"].strip()
           for path in (ROOT / "bench" / "data" / "calibration.jsonl",
                        ROOT / "tests" / "data" / "qa.jsonl")
           for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert not own & {q["question"].strip() for q in questions}
