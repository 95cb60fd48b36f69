"""The questions /start (and /ask's usage) suggest must be ones the engine answers well:
each is a question of the own set (tests/data/qa.jsonl), where both the light and the
default model put an answer in the top three quotes (bench/results/quality-*.json), and
here, with the light model over the bundled articles, one of the three quotes a reply
shows holds it (with the default model the first one does: checked on 2026-12-07, when
long sentences came to be scored by their closest words too, retrieval/windows.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isnad.prompts.bot import bot_t

QA = Path(__file__).parent / "data" / "qa.jsonl"
RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results"
EXAMPLES = [(key, language) for key in ("example_1", "example_2") for language in ("en", "ar")]


def own_set() -> dict[str, dict]:
    rows = [json.loads(line) for line in QA.read_text(encoding="utf-8").splitlines() if line]
    return {row["question"]: row for row in rows}


@pytest.mark.parametrize(("key", "language"), EXAMPLES)
def test_a_suggested_question_is_answered_in_the_quotes_shown(engine, key, language):
    question = bot_t(key, language)
    row = own_set().get(question)
    assert row is not None and row["answerable"] and row["language"] == language, question
    for model in ("embeddinggemma", "e5-small-q4"):  # measured: in the top 3 of both
        misses = json.loads((RESULTS / f"quality-{model}.json").read_text())["own"]["misses"]
        assert row["id"] not in misses, (model, row["id"])
    answer = engine.ask(question, 3)
    assert answer.answered
    texts = [quote.text for quote in answer.quotes]
    assert any(gold in text for gold in row["answers"] for text in texts), texts
