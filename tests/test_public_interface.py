"""The read interface callers use (retrieval's public names, Engine as an IndexView),
and the rule that keeps it the only one: nothing in bot/ or isnad/ reaches into the
index's storage modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import isnad.retrieval as retrieval
from isnad.bot.render import context_span
from isnad.home import IndexHome
from isnad.retrieval import IndexMissing, open_view

ROOT = Path(__file__).resolve().parents[1]
STORAGE = {"index", "store", "writer", "verify", "recover"}


def test_every_public_name_resolves():
    assert sorted(retrieval.__all__) == sorted(set(retrieval.__all__))
    for name in retrieval.__all__:
        assert getattr(retrieval, name) is not None, name


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("folder", ["bot", "isnad"])
def test_callers_use_the_public_interface_only(folder):
    for path in sorted((ROOT / folder).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "index.catalog" not in text, path
        for module in _imports(path):
            parts = module.split(".")
            if parts[:2] == ["isnad", "retrieval"] and len(parts) > 2:
                assert parts[2] not in STORAGE, f"{path}: imports {module}"


def test_engine_reads_what_callers_need(engine, light_home):
    home = IndexHome(light_home)
    assert engine.version == home.current_version()
    stats = engine.stats()
    listed = engine.articles()
    assert stats.articles == len(listed) > 0 and stats.passages > 0 and stats.bytes > 0
    assert list(stats.to_dict())[:3] == ["articles", "passages", "sentences"]
    assert all(a.text == "" for a in listed)  # listed without text
    article = engine.article(listed[0].id)
    assert article is not None and article.text
    assert engine.article("no-such-article") is None


def test_context_is_the_same_for_the_chat_and_the_bot(engine):
    article = engine.article(engine.articles()[0].id)
    spans = engine.sentence_spans(article.id)
    assert len(spans) > 2 and spans == sorted(spans)
    start, end = spans[1]
    assert engine.context_span(article.id, start, end) == context_span(spans, start, end) \
        == (spans[0][0], spans[2][1])
    assert engine.context_span(article.id, start, end, sentences=0) == (start, end)


def test_a_view_needs_no_model_and_says_when_there_is_no_index(light_home, tmp_path):
    view = open_view(IndexHome(light_home))
    assert view.model == "e5-small-q4" and view.stats().articles == len(view.articles())
    view.close()
    with pytest.raises(IndexMissing):
        open_view(IndexHome(tmp_path / "empty"))
