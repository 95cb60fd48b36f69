"""Long sentences scored by their closest words (retrieval/windows.py): the windows
themselves, the writer's cache of their vectors on both backends, and the engine's
score against one computed from the encoder directly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from isnad import app
from isnad.corpus import Article, ReadResult
from isnad.embeddings import Encoder
from isnad.home import IndexHome
from isnad.retrieval import Storage
from isnad.retrieval.embedding import text_hash
from isnad.retrieval.engine import Engine
from isnad.retrieval.local import LocalIndex, build_index
from isnad.retrieval.windows import (
    WINDOW_STRIDE,
    WINDOW_WORDS,
    sentence_windows,
    window_texts,
)
from isnad.settings import Settings

QUESTIONS = ["Where was ISIS to be evacuated to?", "ماذا حدث في مخيم اليرموك؟",
             "كم عدد الحافلات؟"]


class CountingEncoder:
    """A real encoder that counts the documents it is asked to embed."""

    def __init__(self, encoder: Encoder) -> None:
        self._encoder, self.documents = encoder, 0

    def __getattr__(self, name: str):
        return getattr(self._encoder, name)

    def encode_documents(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        self.documents += len(texts)
        return self._encoder.encode_documents(texts, batch_size)


@pytest.mark.parametrize("count", [1, WINDOW_WORDS, WINDOW_WORDS + 1, 2 * WINDOW_WORDS,
                                   2 * WINDOW_WORDS + 1, 37])
def test_a_long_sentence_is_read_in_overlapping_runs_of_words(count):
    words = [f"w{i}" for i in range(count)]
    text = " ".join(words) + "."
    windows = sentence_windows(text)
    if count <= WINDOW_WORDS:
        assert windows == ()
        return
    tokens = text.split()
    for k, window in enumerate(windows):
        assert window.split() == tokens[k * WINDOW_STRIDE:k * WINDOW_STRIDE + WINDOW_WORDS]
    assert windows[-1].endswith(tokens[-1]) and windows[-1] != windows[-2]
    assert {w for window in windows for w in window.split()} == set(tokens)


def test_windows_are_cut_from_the_text_whatever_its_spacing():
    text = ("  وقال\tالمصدر إن عناصر التنظيم\n\nسيخرجون خلال شهر واحد لا أكثر "
            "إلى منطقة بيار القصب في بادية السويداء بحسب الاتفاق  ")
    windows = sentence_windows(text)
    assert len(windows) == 3  # 20 words: from words 0, 6 and 12
    for window in windows:
        assert window in text and window == window.strip()
    assert text.strip().startswith(windows[0]) and text.strip().endswith(windows[-1])
    assert window_texts([text, "قصيرة جدا."]) == list(windows)


def _stored_sentences(index) -> list[str]:
    return [a.text[start:end] for a in index.articles(with_text=True)
            for start, end in index.sentence_spans(a.id)]


def test_the_writer_caches_every_window_and_asking_embeds_none(store: Storage, light_encoder):
    index = store.open()
    try:
        windows = window_texts(_stored_sentences(index))
        assert len(windows) > 100  # the bundled articles' sentences are long
        hashes = [text_hash(w) for w in windows]
        assert set(index.cached_vectors(light_encoder, hashes)) == set(hashes)
        counting = CountingEncoder(light_encoder)
        engine = Engine(index, counting)  # type: ignore[arg-type]
        for question in QUESTIONS:
            assert engine.ask(question).quotes
        assert counting.documents == 0
    finally:
        index.close()


@pytest.mark.parametrize("cache", ["deleted", "garbage"])
def test_without_the_cache_windows_are_embedded_and_the_answers_do_not_change(
        writable_home: IndexHome, light_encoder, cache):
    with_cache = Engine(LocalIndex(writable_home), light_encoder)
    before = [with_cache.ask(q).model_dump() for q in QUESTIONS]
    with_cache.close()
    for path in writable_home.cache_dir.glob("embeddings-*"):
        path.unlink()
        if cache == "garbage" and path.suffix == ".sqlite":
            path.write_bytes(b"not a database" * 100)
    counting = CountingEncoder(light_encoder)
    engine = Engine(LocalIndex(writable_home), counting)  # type: ignore[arg-type]
    assert [engine.ask(q).model_dump() for q in QUESTIONS] == before
    embedded = counting.documents
    assert embedded > 0
    engine.ask(QUESTIONS[0])  # kept in memory: not embedded twice
    assert counting.documents == embedded
    engine.close()


def test_a_quote_scores_by_its_closest_window_as_the_encoder_reads_it(tmp_path: Path,
                                                                      light_encoder):
    long = ("Farmers in the northern valley said the late frost had ruined most of the "
            "apricot harvest this spring, while the city museum reopened its doors to "
            "visitors after a long renovation of the old halls, and the football club "
            "announced a new coach for the coming season.")
    articles = [Article(id="long", text=long, title="Many things", source="Daily"),
                Article(id="other", text="The weather will be dry. Markets were calm.",
                        title="Weather", source="Gazette")]
    home = IndexHome(tmp_path / "home")
    build_index(home, articles, light_encoder, progress=False)
    question = "When did the city museum reopen its doors to visitors?"
    on = Engine(LocalIndex(home), light_encoder)
    off = Engine(LocalIndex(home), light_encoder,
                 settings=replace(on.settings, windows=False))
    first_on, first_off = on.ask(question).quotes[0], off.ask(question).quotes[0]
    assert first_on.text == first_off.text == long
    # The reference: the sentence's and its windows' similarities from the encoder.
    q = light_encoder.encode_query(question)
    sentence = float(light_encoder.encode_documents([long])[0] @ q)
    window = float(np.max(light_encoder.encode_documents(list(sentence_windows(long))) @ q))
    assert window > sentence + 0.01
    assert first_on.score - first_off.score == pytest.approx(window - sentence, abs=2e-4)
    on.close()
    off.close()


LONG_NEWS = ("وقال مصدر محلي في ريف المدينة الشرقي إن الأهالي بدأوا منذ صباح الأمس بإصلاح "
             "شبكة المياه التي تضررت خلال القصف الأخير على الحي القديم، وإن فرق الدفاع "
             "المدني نقلت عشرات العائلات إلى مدرسة قريبة حتى تنتهي أعمال الترميم في الشارع "
             "الرئيسي قرب السوق.")


def test_with_windows_off_no_run_is_embedded_on_writing_or_asking(store: Storage,
                                                                  light_encoder):
    article = Article(id="water", text=LONG_NEWS, title="الماء", source="Local")
    runs = [text_hash(w) for w in window_texts([LONG_NEWS])]
    assert len(runs) > 3
    report = store.update(light_encoder, add=[article], progress=False, windows=False)
    assert report.added == ["water"]
    index = store.open()
    try:
        cached = index.cached_vectors(light_encoder, [text_hash(LONG_NEWS), *runs])
        assert set(cached) == {text_hash(LONG_NEWS)}  # the sentence, none of its runs
        question = "ماذا أصلح الأهالي في ريف المدينة؟"
        counting = CountingEncoder(light_encoder)
        off = Engine(index, counting, windows=False)  # type: ignore[arg-type]
        assert off.settings.windows is False
        assert off.ask(question).quotes
        assert counting.documents == 0
        on = Engine(index, counting)  # type: ignore[arg-type]
        assert on.ask(question).quotes
        assert counting.documents == len(runs)  # embedded when first needed
    finally:
        index.close()


def test_isnad_windows_off_reaches_the_writer_and_the_engine(writable_home: IndexHome,
                                                             light_encoder, monkeypatch):
    monkeypatch.setenv("ISNAD_WINDOWS", "off")
    settings = Settings(home=writable_home.root, model=light_encoder.name)
    assert settings.windows is False
    article = Article(id="water", text=LONG_NEWS, title="الماء", source="Local")
    app.add(settings, light_encoder, ReadResult([article], []), progress=False)
    engine = app.engine_over(settings, light_encoder)
    try:
        runs = [text_hash(w) for w in window_texts([LONG_NEWS])]
        assert engine.index.cached_vectors(light_encoder, runs) == {}
        assert engine.settings.windows is False
    finally:
        engine.close()
