"""The storage seam: the factory, and one message per format or model problem whichever
way the index is opened (reading, writing, verifying, listing its articles)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from isnad.app import load_encoder
from isnad.corpus import Article
from isnad.home import IndexHome
from isnad.retrieval import (
    Engine,
    IndexDamaged,
    ModelMismatch,
    Storage,
    StoredIndex,
    open_storage,
    open_view,
)
from isnad.retrieval.local import FORMAT_VERSION, LocalStorage
from isnad.settings import Settings

NEW = Article(id="storage-1", title="Storage", source="Test Daily",
              text="The harbour reopened on Friday after the storm. Ferries resumed at noon.")


def set_meta(home: IndexHome, key: str, value: object) -> None:
    """Change what the current version's catalog says about itself (as an older or
    newer isnad, or another model's settings, would have written it)."""
    path = home.current.resolve() / "catalog.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(value), key))
    db.close()


def every_way_of_opening(home: IndexHome, encoder) -> dict[str, str]:
    """What each entry point says about the current version (empty: it opened)."""
    storage = open_storage(home)
    said: dict[str, str] = {}
    for name, attempt in {
        "engine": lambda: Engine(storage.open(), encoder),
        "view": lambda: open_view(home),
        "add": lambda: storage.update(encoder, add=[NEW], progress=False),
    }.items():
        try:
            attempt()
            said[name] = ""
        except (IndexDamaged, ModelMismatch) as exc:
            said[name] = str(exc)
    problems = storage.verify(encoder).problems
    said["verify"] = problems[0].split(": ", 1)[1] if problems else ""
    return said


def test_the_factory_opens_the_local_backend_and_names_the_known_ones(tmp_path: Path):
    storage = open_storage(IndexHome(tmp_path))
    assert isinstance(storage, LocalStorage) and isinstance(storage, Storage)
    assert storage.backend == "local" and not storage.exists()
    assert storage.current_version() is None and storage.indexed_model() is None
    with pytest.raises(ValueError, match="known: local"):
        open_storage(IndexHome(tmp_path), "cassandra")


def test_a_stored_index_answers_through_the_interface_alone(writable_home, light_encoder):
    index = open_storage(writable_home).open()
    assert isinstance(index, StoredIndex)
    query = light_encoder.encode_query("Where were the fighters taken?")
    [(pid, _)] = index.dense(query, 1)
    row = index.passages([pid])[pid]
    sentences = index.sentences_between(row.first_sid, row.last_sid)
    article = index.article(row.article_id)
    assert article is not None and sentences
    assert all(0 <= s.start < s.end <= len(article.text) for s in sentences)
    assert [(s.start, s.end) for s in sentences] == \
        [span for span in index.sentence_spans(row.article_id)
         if row.start <= span[0] and span[1] <= row.end]
    assert index.passage_vectors([row]).shape == (1, light_encoder.dim)
    assert index.stats().backend == "local"
    index.close()


@pytest.mark.parametrize(("version", "says"), [(FORMAT_VERSION - 1, "older isnad"),
                                               (FORMAT_VERSION + 1, "newer isnad")])
def test_another_format_is_told_the_same_way_everywhere(writable_home, light_encoder,
                                                        version, says):
    set_meta(writable_home, "format_version", version)
    said = every_way_of_opening(writable_home, light_encoder)
    assert len(set(said.values())) == 1, said
    message = said["engine"]
    assert says in message and "isnad index rebuild" in message
    # What `isnad index rebuild` reads back still opens: the articles are not lost.
    assert len(open_storage(writable_home).stored_articles()) == 5


def test_another_model_and_changed_settings_are_told_the_same_way_everywhere(
        writable_home, light_encoder):
    other = load_encoder(Settings(home=writable_home.root, model="minilm"), progress=False)
    said = every_way_of_opening(writable_home, other)
    said.pop("view")  # reading articles needs no model
    assert len(set(said.values())) == 1, said
    assert f"not {other.name!r}" in said["engine"]

    fingerprint = {**light_encoder.fingerprint(), "max_seq_length": 7}
    set_meta(writable_home, "fingerprint", fingerprint)
    said = every_way_of_opening(writable_home, light_encoder)
    said.pop("view")
    assert len(set(said.values())) == 1, said
    assert "under other settings" in said["engine"] and "rebuild" in said["engine"]
