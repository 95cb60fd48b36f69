"""The engine end to end on the bundled corpus, with real FAISS, BM25 and SQLite."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pgserver import new_database

from isnad.app import load_encoder
from isnad.corpus import Article
from isnad.database import Database
from isnad.home import IndexHome
from isnad.retrieval import IndexDamaged, ModelMismatch, open_storage
from isnad.retrieval.engine import Engine
from isnad.retrieval.local import LocalIndex, build_index
from isnad.settings import Settings

OWN_SET = Path(__file__).parent / "data" / "qa.jsonl"
QUESTIONS = [
    "Where was ISIS to be evacuated to?",
    "إلى أين سيخرج عناصر تنظيم الدولة من جنوب دمشق؟",
    "ماذا حدث في مخيم اليرموك؟",
    "Who negotiated with the Islamic State?",
    "كم عدد الحافلات؟",
]


@pytest.fixture(scope="module", params=["local", "postgres"])
def any_engine(request: pytest.FixtureRequest, light_encoder) -> Iterator[Engine]:
    """The session's index of the bundled articles on each backend, asked through the
    same engine: the behaviour of asking is the same on both."""
    if request.param == "local":
        yield request.getfixturevalue("engine")
        return
    server, template = request.getfixturevalue("pg_server"), request.getfixturevalue(
        "pg_indexed")
    for url in new_database(server, template=template):
        storage = open_storage(IndexHome(server.folder / "unused-home"), "postgres",
                               database=Database(url))
        engine = Engine(storage.open(), light_encoder)
        yield engine
        engine.index.close()


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_quote_is_verbatim_and_attributed_from_the_catalog(any_engine: Engine,
                                                                  question):
    engine = any_engine
    answer = engine.ask(question, top=5)
    for quote in answer.quotes:
        article = engine.article(quote.article_id)
        assert article is not None
        assert article.text[quote.start:quote.end] == quote.text
        assert quote.text.strip() == quote.text and quote.text
        assert (quote.title, quote.source, quote.published, quote.url) == (
            article.title, article.source, article.published, article.url)


def test_rare_arabic_place_name_is_found_by_its_words(any_engine: Engine):
    engine = any_engine
    # The place occurs in one sentence of one article; BM25 on stems must reach it.
    answer = engine.ask("ما هي منطقة بيار القصب في بادية السويداء؟", top=3)
    assert answer.answered
    assert any("بيار القصب" in quote.text for quote in answer.quotes)


def test_a_point_reported_by_several_outlets_is_quoted_from_several(any_engine: Engine):
    answer = any_engine.ask("مخيم اليرموك والحجر الأسود", top=3)
    assert len({quote.article_id for quote in answer.quotes}) >= 2


@pytest.mark.parametrize("question", ["What is a good recipe for hummus?",
                                      "ما أفضل هاتف ذكي لعام 2018؟"])
def test_questions_off_the_corpus_topics_get_no_quotes(any_engine: Engine, question):
    # The calibrated threshold (retrieval/calibration.json) is what decides here.
    answer = any_engine.ask(question)
    assert not answer.answered and answer.quotes == []


def test_both_backends_give_the_same_quotes_for_the_own_questions(engine: Engine,
                                                                   pg_indexed_url):
    """Same encoder, exact search on both, and BM25 with the same formula: the top-3
    quotes of PostgreSQL are the local index's (bench/postgres_parity.py measures it on
    XQuAD too)."""
    storage = open_storage(engine.index.home, "postgres", database=Database(pg_indexed_url))
    postgres = Engine(storage.open(), engine.encoder)
    questions = [json.loads(line)["question"] for line in OWN_SET.read_text().splitlines()]
    differ = [q for q in questions
              if _top3(engine, q) != _top3(postgres, q)]
    postgres.index.close()
    assert len(questions) == 77 and differ == []


def _top3(engine: Engine, question: str) -> list[tuple[str, int, int]]:
    return [(q.article_id, q.start, q.end) for q in engine.ask(question, top=3).quotes]


def test_answers_carry_the_question_language(engine: Engine):
    assert engine.ask("Where is the Yarmouk camp?").language == "en"
    assert engine.ask("أين مخيم اليرموك؟").language == "ar"


def test_quotes_do_not_repeat_the_same_words(engine: Engine):
    answer = engine.ask("لماذا يحاول النظام التملّص مِن تأكيد الاتفاق؟", top=5)
    texts = [quote.text for quote in answer.quotes]
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert a not in b and b not in a


def _small_articles() -> list[Article]:
    return [
        Article(id="a1", text="The council met on Monday. It approved the new bridge.",
                title="Council", source="Daily"),
        Article(id="a2", text="Heavy rain closed the coastal road. Repairs start soon.",
                title="Rain", source="Gazette"),
    ]


def test_rebuild_reuses_the_embedding_cache_and_switches_generation(tmp_path: Path):
    settings = Settings(home=tmp_path, model="e5-small-q4")
    encoder = load_encoder(settings, progress=False)
    first = build_index(settings.index_home, _small_articles(), encoder, progress=False)
    generation = settings.index_home.current.resolve()
    second = build_index(settings.index_home, _small_articles(), encoder, progress=False)
    assert first.embedded > 0 and second.embedded == 0
    assert second.cached == first.embedded
    assert settings.index_home.current.resolve() != generation
    assert LocalIndex(settings.index_home).catalog.count("articles") == 2


def test_sentence_transformers_backend_loads_a_packaged_model_by_path(tmp_path: Path):
    settings = Settings(home=tmp_path, model="minilm")
    encoder = load_encoder(settings, progress=False)
    assert encoder.dim == 384
    build_index(settings.index_home, _small_articles(), encoder, progress=False)
    answer = Engine(LocalIndex(settings.index_home), encoder).ask("Which road did the rain close?")
    assert answer.quotes[0].article_id == "a2"


def test_asking_with_another_model_is_refused_with_how_to_rebuild(light_home: Path):
    other = load_encoder(Settings(home=light_home, model="minilm"), progress=False)
    with pytest.raises(ModelMismatch, match="isnad index rebuild"):
        Engine(LocalIndex(IndexHome(light_home)), other)


@pytest.mark.parametrize("damage", ["truncate_vectors", "garbage_catalog", "remove_lexical"])
def test_a_damaged_index_is_reported_not_crashed_on(light_home: Path, tmp_path: Path, damage):
    home = tmp_path / "copy"
    shutil.copytree(light_home / "index", home / "index", symlinks=True)
    generation = IndexHome(home).current.resolve()
    if damage == "truncate_vectors":
        target = next((home / "index" / "segments").glob("*/vectors.faiss"))
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "garbage_catalog":
        (generation / "catalog.sqlite").write_bytes(b"not a database" * 100)
    else:
        shutil.rmtree(next((home / "index" / "segments").glob("*/lexical")))
    with pytest.raises(IndexDamaged, match="isnad index rebuild"):
        LocalIndex(IndexHome(home))


def _wire_copies() -> list[Article]:
    """One report in two outlets' copies of a wire story, each with its own words
    around it, and an unrelated article."""
    return [
        Article(id="w1", source="Daily", title="Shelling", url="https://daily.example/1",
                text="وقالت وزارة الصحة إن 43 شخصا قتلوا وأصيب 173 في قصف على حي دار سعد. "
                     "وأعلنت الحكومة الحداد ثلاثة أيام على الضحايا."),
        Article(id="w2", source="Gazette", title="Dar Saad",
                text="وفي 19 يوليو قالت وزارة الصحة إن 43 شخصا قتلوا وأصيب 173 في قصف على "
                     "حي دار سعد. وطالبت المنظمة الدولية بتحقيق مستقل في الهجمات."),
        Article(id="w3", source="Daily", title="Rain",
                text="وأغلقت الأمطار الغزيرة الطريق الساحلي. وتبدأ أعمال الإصلاح قريباً."),
    ]


def test_another_outlets_copy_of_a_report_is_cited_with_it_not_quoted_again(
        tmp_path: Path, light_encoder):
    build_index(IndexHome(tmp_path), _wire_copies(), light_encoder, progress=False)
    engine = Engine(LocalIndex(IndexHome(tmp_path)), light_encoder)
    question = "كم شخصا قتلوا في قصف دار سعد؟"
    answer = engine.answer_and_rank(question, top=3, abstain=False)[0]
    report = [q for q in answer.quotes if "43 شخصا" in q.text]
    assert len(report) == 1 and len(report[0].also) == 1
    copy = report[0].also[0]
    assert {copy.article_id, report[0].article_id} == {"w1", "w2"}
    article = engine.article(copy.article_id)
    assert article is not None and article.text[copy.start:copy.end] == copy.text
    assert (copy.source, copy.title, copy.url) == (article.source, article.title, article.url)
    # a copy ranked below the last place is still cited with its quote
    alone = engine.answer_and_rank(question, top=1, abstain=False)[0].quotes
    assert "43 شخصا" in alone[0].text and len(alone[0].also) == 1
    # what the fold does: without it the copy takes a place of its own
    engine.settings = replace(engine.settings, fold_above=1.0)
    unfolded = engine.answer_and_rank(question, top=3, abstain=False)[0]
    assert sum("43 شخصا" in q.text for q in unfolded.quotes) == 2
    assert all(q.also == [] for q in unfolded.quotes)
    engine.index.close()


def test_the_text_answer_names_every_outlet_of_a_folded_report(tmp_path: Path, light_encoder):
    from isnad.render import render_answer

    build_index(IndexHome(tmp_path), _wire_copies(), light_encoder, progress=False)
    engine = Engine(LocalIndex(IndexHome(tmp_path)), light_encoder)
    answer = engine.answer_and_rank("كم شخصا قتلوا في قصف دار سعد؟", top=3, abstain=False)[0]
    text = render_answer(answer.model_copy(update={"answered": True}), terminal=False)
    lines = text.splitlines()
    also = next(i for i, line in enumerate(lines) if "ورد أيضاً في" in line)
    assert lines[also].startswith("   — ") and lines[also - 1].startswith("   — ")
    assert ("Gazette" in lines[also]) != ("Gazette" in lines[also - 1])  # each outlet once
    engine.index.close()
