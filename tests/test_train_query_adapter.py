"""bench/train_query_adapter.py's news-domain weak supervision (``--news N``), on the real
../shared SaudiNewsNet archive (CI never trains, but the option must keep building the
groups its docstring promises)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from isnad.retrieval.arabic import terms

ROOT = Path(__file__).resolve().parents[1]
NEWS = ROOT.parent / "shared" / "data" / "saudinewsnet"


@pytest.fixture(scope="module")
def trainer_module() -> ModuleType:
    if not any(NEWS.glob("*.zip")):
        pytest.skip("../shared/data/saudinewsnet is not beside the project")
    # The script puts bench/ on the path itself (for train_reader and scale) at import.
    sys.path.insert(0, str(ROOT / "bench"))
    return importlib.import_module("train_query_adapter")


def _share(headline: str, sentence: str) -> float:
    wanted = set(terms(headline))
    return len(wanted & set(terms(sentence))) / len(wanted)


def test_news_groups_pair_a_headline_with_its_lead_and_unrelated_sentences(
        trainer_module: ModuleType) -> None:
    from scale import saudinewsnet

    examples = trainer_module.news_examples(40)
    assert len(examples) == 40
    assert len({e["question"] for e in examples}) == 40  # one example per headline
    order = {record["id"]: n for n, record in enumerate(saudinewsnet())}
    by_id = {record["id"]: record for record in saudinewsnet()}
    for example in examples:
        record_id = example["qid"].removeprefix("saudinewsnet:")
        # From the archive's second half: the distractor benchmarks index its start.
        assert order[record_id] > len(order) // 2
        assert example["question"] == by_id[record_id]["title"].strip()
        texts, unsafe = trainer_module.group(example)
        positive, negatives = texts[0], texts[1:]
        assert unsafe == {positive}
        assert 3 <= len(negatives) <= 5 and positive not in negatives
        for text in texts:
            assert text in by_id[record_id]["text"] and 40 <= len(text) <= 600
        assert _share(example["question"], positive) >= 0.6
        assert all(_share(example["question"], n) <= 0.25 for n in negatives)


def test_no_news_examples_unless_asked(trainer_module: ModuleType,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import scale

    def unread() -> list[dict]:
        raise AssertionError("the archive was read for --news 0")

    # The default training run must neither read the 31k-article archive nor change.
    monkeypatch.setattr(scale, "saudinewsnet", unread)
    assert trainer_module.news_examples(0) == []


def test_siblings_are_other_questions_on_the_paragraph_its_sentence_does_not_answer(
        trainer_module: ModuleType) -> None:
    paragraph = ["The dam was built in 1950.", "It holds 2 km³ of water.", "Fish live there."]

    def example(question: str, source: str, positive: int, answer: str,
                sentences: list[str] = paragraph) -> dict:
        return {"question": question, "source": source, "sentences": sentences,
                "positive": positive, "answers": [answer]}

    train = [example("When was the dam built?", "xquad-en", 0, "1950"),
             example("How much water does it hold?", "xquad-en", 1, "2 km³"),
             example("What year was it finished?", "xquad-en", 0, "1950"),  # same sentence
             example("متى بني السد؟", "xquad-ar", 0, "1950"),  # another language
             example("Who swims there?", "xquad-en", 0, "Fish", ["Fish swim.", "Other."])]
    assert trainer_module.attach_siblings(train, 4, seed=1) == 3
    assert train[0]["siblings"] == ["How much water does it hold?"]
    assert sorted(train[1]["siblings"]) == ["What year was it finished?",
                                            "When was the dam built?"]
    assert train[3]["siblings"] == [] and train[4]["siblings"] == []
    trainer_module.attach_siblings(train, 1, seed=1)
    assert len(train[1]["siblings"]) == 1  # at most the count asked for
