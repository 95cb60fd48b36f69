"""Incremental indexing: add, replace, remove, duplicates, bad input, one writer, another
model (on both backends: the ``store`` fixture), and the local backend's merges and
segments.

Each test works on its own copy of the session's light index (the embedding cache
comes along, so only the new test articles are embedded)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from isnad.app import load_encoder, read_corpus
from isnad.corpus import Article, bundled_corpus_dir
from isnad.home import IndexHome
from isnad.retrieval import IndexBusy, ModelMismatch, Storage, open_storage
from isnad.retrieval.arabic import terms
from isnad.retrieval.engine import Engine
from isnad.retrieval.local import (
    LocalIndex,
    build_index,
    update_index,
    verify_index,
)
from isnad.retrieval.local.generations import KEEP_GENERATIONS
from isnad.retrieval.local.lexical import LexicalIndex, lucene_idf
from isnad.retrieval.local.segments import MAX_SEGMENTS
from isnad.retrieval.postgres import PostgresStorage
from isnad.settings import Settings

BRIDGE = Article(
    id="bridge-1", title="Council approves bridge", source="Test Daily",
    text="The city council approved the new river bridge on Monday. Construction starts "
         "in June and will cost three million dinars. The mayor said the old ferry "
         "will keep running until the bridge opens.")
FLOOD = Article(
    id="flood-1", title="Floods close the coast road", source="Test Gazette",
    text="Heavy rain flooded the coastal road near the harbour on Tuesday. Engineers "
         "expect repairs to take two weeks. Buses will use the mountain road meanwhile.")


@pytest.fixture()
def home(writable_home: IndexHome) -> IndexHome:
    return writable_home


def quotes_for(store: Storage, encoder, question: str) -> list[str]:
    index = store.open()
    try:
        return [q.article_id for q in Engine(index, encoder).ask(question, top=3).quotes]
    finally:
        index.close()


def stored(store: Storage, article_id: str | None = None) -> Article | int | None:
    """One stored article (with ``article_id``), else how many articles are stored."""
    index = store.open()
    try:
        return index.article(article_id) if article_id else index.stats().articles
    finally:
        index.close()


# -- on every backend (the ``store`` fixture: local, postgres) -------------------------
def test_an_added_article_is_answerable_and_adding_it_again_changes_nothing(store,
                                                                          light_encoder):
    before = store.current_version()
    report = store.update(light_encoder, add=[BRIDGE], progress=False)
    assert report.added == ["bridge-1"] and report.changed
    assert report.articles == 6 and report.embedded > 0
    assert quotes_for(store, light_encoder, "When does construction of the bridge start?")[0] \
        == "bridge-1"
    assert store.current_version() not in (before, None)

    again = store.update(light_encoder, add=[BRIDGE], progress=False)
    assert again.unchanged == ["bridge-1"]
    assert not again.changed and again.embedded == 0 and again.articles == 6
    assert store.verify(light_encoder).ok


def test_a_changed_article_replaces_its_old_passages(store, light_encoder):
    store.update(light_encoder, add=[BRIDGE], progress=False)
    changed = Article(id="bridge-1", title=BRIDGE.title, source=BRIDGE.source,
                      text="The council postponed the river bridge vote to September "
                           "after protests by ferry workers. No budget was approved.")
    report = store.update(light_encoder, add=[changed], progress=False)
    assert report.replaced == ["bridge-1"] and report.articles == 6
    index = store.open()
    assert index.article("bridge-1").text == changed.text
    answer = Engine(index, light_encoder).ask("When is the bridge vote?", top=5)
    index.close()
    texts = [q.text for q in answer.quotes if q.article_id == "bridge-1"]
    assert texts and all(t in changed.text for t in texts)
    assert store.verify(light_encoder).ok


def test_metadata_change_alone_replaces_without_embedding(store, light_encoder):
    store.update(light_encoder, add=[BRIDGE], progress=False)
    retitled = Article(id=BRIDGE.id, text=BRIDGE.text, title="Bridge approved",
                       source=BRIDGE.source, url="https://example.org/bridge")
    report = store.update(light_encoder, add=[retitled], progress=False)
    assert report.replaced == ["bridge-1"] and report.embedded == 0
    assert stored(store, "bridge-1").url == "https://example.org/bridge"


def test_duplicates_are_reported_with_the_article_kept(store, light_encoder):
    seed = read_corpus([bundled_corpus_dir()]).articles[0]
    same_text = Article(id="copy-of-seed", text=seed.text, url="https://example.org/copy")
    # The same wire story on another site: its own opening line and one word changed.
    words = seed.text.split(" ")
    words[len(words) // 2] = "تغيير"
    near = Article(id="near-copy", text="نقلاً عن وكالة أخرى.\n" + " ".join(words))
    report = store.update(light_encoder, add=[same_text, near, FLOOD], progress=False)
    kept = {d.article_id: d for d in report.duplicates}
    assert kept["copy-of-seed"].kept == seed.id and kept["copy-of-seed"].similarity == 1.0
    assert kept["near-copy"].kept == seed.id and 0.8 <= kept["near-copy"].similarity < 1.0
    assert f"kept {seed.id}" in str(kept["near-copy"])
    assert report.added == ["flood-1"] and report.articles == 6


def test_duplicates_within_one_batch_keep_the_first(store, light_encoder):
    twin = Article(id="flood-2", text=FLOOD.text, source="Other Gazette")
    report = store.update(light_encoder, add=[FLOOD, twin], fresh=True, progress=False)
    assert report.added == ["flood-1"] and report.articles == 1
    assert [(d.article_id, d.kept) for d in report.duplicates] == [("flood-2", "flood-1")]
    assert store.verify(light_encoder).ok


def test_bad_articles_are_reported_and_the_rest_indexed(store, light_encoder):
    hidden = Article(id="odd\u202eid", text="Another story entirely, with a sentence.")
    spaced = Article(id="two words", text="A story under an id with a space in it.")
    report = store.update(light_encoder, add=[hidden, spaced, FLOOD], progress=False)
    assert report.added == ["flood-1"] and report.articles == 6
    assert [p.where for p in report.problems] == ["odd\u202eid", "two words"]
    assert all("invalid article id" in p.message for p in report.problems)
    assert stored(store, "two words") is None and stored(store) == 6


def test_removed_articles_are_never_quoted_again(store, light_encoder):
    index = store.open()
    victim = index.articles()[0].id
    index.close()
    report = store.update(light_encoder, remove=[victim, "no-such-article"], progress=False)
    assert report.removed == [victim] and report.not_found == ["no-such-article"]
    assert stored(store, victim) is None and stored(store) == 4
    for question in ("Where was ISIS to be evacuated to?", "ما الذي جرى في مخيم اليرموك؟",
                     "Who controls Hajar al-Aswad?"):
        assert victim not in quotes_for(store, light_encoder, question)
    assert store.verify(light_encoder).ok


def lexical_scores(store: Storage, questions: list[str]) -> list[dict[tuple[str, int], float]]:
    """Per question, BM25's top passages as (article id, start) → score."""
    index = store.open()
    found = []
    for question in questions:
        hits = index.lexical(terms(question), 10)
        rows = index.passages([pid for pid, _ in hits])
        found.append({(rows[pid].article_id, rows[pid].start): round(score, 4)
                      for pid, score in hits})
    index.close()
    return found


def test_one_write_that_removes_replaces_and_adds_scores_like_a_fresh_build(store,
                                                                           light_encoder):
    # BM25's document frequencies and lengths are kept up to date write by write; a
    # write that does everything at once must leave them as a build from scratch would.
    index = store.open()
    victim, changing = [a for a in index.articles(with_text=True)][:2]
    index.close()
    changed = Article(id=changing.id, title=changing.title, source=changing.source,
                      text=changing.text[: len(changing.text) // 2])
    report = store.update(light_encoder, remove=[victim.id], add=[changed, BRIDGE, FLOOD],
                          progress=False)
    assert report.removed == [victim.id] and report.replaced == [changed.id]
    assert store.verify(light_encoder).ok
    questions = ["إلى أين سيُجلى مقاتلو داعش؟", "ما الذي جرى في مخيم اليرموك؟",
                 "When does construction of the bridge start?", "flood river"]
    incremental = lexical_scores(store, questions)
    store.update(light_encoder, add=store.stored_articles(), fresh=True, progress=False)
    assert lexical_scores(store, questions) == incremental
    assert all(incremental)


def test_one_writer_at_a_time(store, light_encoder):
    with writer_lock_held(store), pytest.raises(IndexBusy, match="another isnad process"):
        store.update(light_encoder, add=[BRIDGE], progress=False)
    assert stored(store) == 5
    assert store.update(light_encoder, add=[BRIDGE], progress=False).added == ["bridge-1"]


@contextmanager
def writer_lock_held(store: Storage) -> Iterator[None]:
    """What another writer holds while it writes to ``store``."""
    if isinstance(store, PostgresStorage):
        from isnad.retrieval.postgres.schema import WRITE_LOCK

        with store.database.connect() as other:
            other.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
            yield
        return
    lock = store.home.writer_lock()
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


def test_adding_with_another_model_is_refused_and_rebuild_switches_model(store,
                                                                        light_encoder):
    other = load_encoder(Settings(home=store.home.root, model="minilm"), progress=False)
    with pytest.raises(ModelMismatch, match="isnad index rebuild"):
        store.update(other, add=[BRIDGE], progress=False)
    store.update(light_encoder, add=[BRIDGE], progress=False)
    articles = store.stored_articles()
    report = store.update(other, add=articles, fresh=True, progress=False)
    assert report.articles == 6
    index = store.open()
    assert index.model == other.name
    assert {a.id for a in index.articles()} == {a.id for a in articles}
    assert Engine(index, other).ask("Where was ISIS to be evacuated to?", top=3).quotes
    index.close()
    assert any(p.startswith("model:") for p in store.verify(light_encoder).problems)
    assert store.verify(other).ok


# -- the local backend's own parts -------------------------------------------------------
def test_many_small_adds_are_merged_and_search_like_one_fresh_build(tmp_path, light_encoder):
    """Incremental adds (with a removal) must give the results a full build gives."""
    articles = [Article(id=f"n{i}", source=f"Outlet {i}",
                        text=f"Report number {i}: the {animal} escaped from the zoo in "
                             f"{city} on day {i}. Keepers found it near the {place}.")
                for i, (animal, city, place) in enumerate(zip(
                    ["tiger", "zebra", "parrot", "camel", "lion", "monkey", "bear", "fox",
                     "owl", "goat", "horse", "snake"],
                    ["Amman", "Beirut", "Cairo", "Tunis", "Rabat", "Doha", "Muscat",
                     "Aden", "Sanaa", "Homs", "Aleppo", "Mosul"],
                    ["river", "market", "school", "station", "mosque", "bakery", "bridge",
                     "stadium", "harbour", "library", "garden", "airport"], strict=True))]
    incremental = IndexHome(tmp_path / "incremental")
    build_index(incremental, articles[:2], light_encoder, progress=False)
    for article in articles[2:]:
        update_index(incremental, light_encoder, add=[article], progress=False)
    update_index(incremental, light_encoder, remove=["n3"], progress=False)
    index = LocalIndex(incremental)
    assert len(index.segments) <= MAX_SEGMENTS
    assert verify_index(incremental, light_encoder).ok
    generations = list(incremental.generations.iterdir())
    assert len(generations) == KEEP_GENERATIONS
    used = {name for g in generations for name in _segments_of(g)}
    assert {p.name for p in incremental.segments.iterdir()} == used

    fresh = IndexHome(tmp_path / "fresh")
    build_index(fresh, [a for a in articles if a.id != "n3"], light_encoder, progress=False)
    for question in ("Where did the camel escape?", "Which animal was found near the bakery?",
                     "zoo Aleppo horse"):
        assert quotes_for(open_storage(incremental), light_encoder, question) == \
            quotes_for(open_storage(fresh), light_encoder, question)


def _segments_of(generation: Path) -> list[str]:
    from isnad.retrieval.local.catalog import Catalog

    catalog = Catalog(generation / "catalog.sqlite", readonly=True)
    try:
        return catalog.segments()
    finally:
        catalog.close()


def test_bm25_over_segments_uses_corpus_wide_idf():
    """Scores of two segments searched with corpus-wide IDF equal a reference BM25
    (Lucene) computed with that IDF and each segment's own length normalisation."""
    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(40)]
    docs = [list(rng.choice(vocab, size=rng.integers(3, 15))) for _ in range(30)]
    parts = [(list(range(0, 22)), docs[:22]), (list(range(22, 30)), docs[22:])]
    segments = [LexicalIndex.build(ids, part) for ids, part in parts]
    query = ["w1", "w7", "w7", "w30", "unknown"]
    n = len(docs)
    idf = {t: lucene_idf(sum(t in d for d in docs), n) for t in set(query)}
    for (ids, part), segment in zip(parts, segments, strict=True):
        avgdl = sum(map(len, part)) / len(part)
        expected = {}
        for doc_id, doc in zip(ids, part, strict=True):
            score = 0.0
            for term in query:
                tf = doc.count(term)
                if tf:
                    score += idf[term] * tf / (tf + 1.5 * (1 - 0.75 + 0.75 * len(doc) / avgdl))
            if score > 0:
                expected[doc_id] = score
        got = dict(segment.search(query, len(part), idf))
        assert got.keys() == expected.keys()
        for doc_id, score in expected.items():
            assert got[doc_id] == pytest.approx(score, rel=1e-4)


def test_verify_finds_vectors_without_rows_and_rows_without_vectors(home, light_encoder):
    from isnad.retrieval.local.vectors import VectorIndex

    index = LocalIndex(home)
    segment = index.segments[0]
    path = home.segments / segment.name / "vectors.faiss"
    vectors = VectorIndex.load(path)
    victim = int(vectors.ids()[0])
    vectors.remove(np.array([victim]))
    vectors.save(path)
    report = verify_index(home, light_encoder)
    assert not report.ok
    assert any("catalog rows have no vector" in p for p in report.problems)

    other = load_encoder(Settings(home=home.root, model="minilm"), progress=False)
    assert any(p.startswith("model:") for p in verify_index(home, other).problems)


def test_verify_finds_offsets_outside_the_text_and_rows_in_no_segment(home):
    import sqlite3

    db = sqlite3.connect(home.current.resolve() / "catalog.sqlite")
    db.execute("UPDATE passages SET end = end + 100000 WHERE pid = (SELECT MIN(pid) "
               "FROM passages)")
    db.execute("UPDATE sentences SET segment = 's-gone' WHERE sid = (SELECT MIN(sid) "
               "FROM sentences)")
    db.commit()
    db.close()
    problems = verify_index(home, None).problems
    assert any("1 offsets lie outside" in p for p in problems), problems
    assert any("1 rows point at a segment" in p for p in problems), problems
