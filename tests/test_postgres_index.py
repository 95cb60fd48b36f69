"""What only the PostgreSQL backend has: a live index, HNSW above a row count, damage
verify must find in its tables, and a server that can be unreachable, refuse a login,
lack pgvector, hold a newer layout, or die mid-question. (What both backends share is
tested on both: the ``store`` fixture in conftest.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pgserver import LOGIN_PASSWORD, LOGIN_USER, free_port, new_database
from test_cli import run

from isnad.corpus import Article
from isnad.database import Database
from isnad.home import IndexHome
from isnad.retrieval import IndexUnavailable, open_storage
from isnad.retrieval.engine import Engine
from isnad.retrieval.postgres import PostgresStorage, writer

BRIDGE = Article(
    id="bridge-1", title="Council approves bridge", source="Test Daily",
    text="The city council approved the new river bridge on Monday. Construction starts "
         "in June and will cost three million dinars. The mayor said the old ferry "
         "will keep running until the bridge opens.")
QUESTION = "When does construction of the bridge start?"
ISIS = "Where was ISIS to be evacuated to?"  # the bundled articles answer it


def storage_at(url: str, tmp_path: Path) -> PostgresStorage:
    storage = open_storage(IndexHome(tmp_path / "home"), "postgres", database=Database(url))
    assert isinstance(storage, PostgresStorage)
    return storage


def test_a_reader_sees_each_write_as_it_commits(pg_indexed_url, light_encoder, tmp_path):
    storage = storage_at(pg_indexed_url, tmp_path)
    engine = Engine(storage.open(), light_encoder)  # opened before the write
    assert "bridge-1" not in [q.article_id for q in engine.ask(QUESTION).quotes]
    storage.update(light_encoder, add=[BRIDGE], progress=False)
    assert engine.ask(QUESTION).quotes[0].article_id == "bridge-1"
    assert engine.article("bridge-1").text == BRIDGE.text
    storage.update(light_encoder, remove=["bridge-1"], progress=False)
    assert "bridge-1" not in [q.article_id for q in engine.ask(QUESTION, top=10).quotes]
    assert engine.article("bridge-1") is None
    engine.index.close()


def test_above_the_row_count_searches_go_through_hnsw(pg_indexed_url, light_encoder,
                                                      tmp_path, monkeypatch):
    storage = storage_at(pg_indexed_url, tmp_path)
    monkeypatch.setattr(writer, "HNSW_MIN_PASSAGES", 10)  # the bundled corpus: 44 passages
    storage.update(light_encoder, add=[BRIDGE], progress=False)
    index = storage.open()

    def plan(db):  # 45 rows: the planner would rather scan, unless told not to
        db.execute("SET enable_seqscan = off")
        return " ".join(row[0] for row in db.execute(
            f"EXPLAIN SELECT pid FROM index_passages ORDER BY embedding::halfvec({index.dim}) "
            f"<#> %s::halfvec({index.dim}) LIMIT 5", (f"[{','.join(['0.1'] * index.dim)}]",)))

    assert "Index Scan using index_passages_hnsw" in index.session.run(plan)
    engine = Engine(index, light_encoder)
    assert engine.ask(QUESTION).quotes[0].article_id == "bridge-1"
    assert storage.verify(light_encoder).ok
    index.close()


def test_verify_finds_what_no_constraint_catches(pg_server, pg_indexed_url, light_encoder,
                                                 tmp_path):
    name = pg_indexed_url.rsplit("/", 1)[1]
    pg_server.sql('UPDATE index_passages SET "end" = "end" + 100000 '
                  "WHERE pid = (SELECT min(pid) FROM index_passages)", name)
    pg_server.sql("UPDATE index_df SET df = df + 1 WHERE term = (SELECT min(term) "
                  "FROM index_df)", name)
    pg_server.sql("UPDATE index_sentences SET embedding = '[1,0,0]' "
                  "WHERE sid = (SELECT min(sid) FROM index_sentences)", name)
    problems = storage_at(pg_indexed_url, tmp_path).verify(light_encoder).problems
    for says in ("passages: 1 offsets lie outside", "terms: 1 document frequencies",
                 "sentences: 1 vectors do not have the model's dimension"):
        assert any(p.startswith(says) for p in problems), (says, problems)


def test_status_says_postgres_and_never_the_password(pg_server, pg_indexed_url, cli_env):
    name = pg_indexed_url.rsplit("/", 1)[1]
    pg_server.sql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {LOGIN_USER}", name)
    url = pg_server.url(name, LOGIN_USER, LOGIN_PASSWORD)
    result = run(["index", "status", "--json"], {**cli_env, "ISNAD_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["backend"] == "postgres" and status["articles"] == 5
    assert status["path"] == f"postgresql://{LOGIN_USER}@127.0.0.1:{pg_server.port}/{name}"
    assert LOGIN_PASSWORD not in result.stdout + result.stderr


@pytest.fixture()
def no_vector_database(pg_server):
    """A database without pgvector, owned by a user who may not create it."""
    for url in new_database(pg_server, template="template0"):
        name = url.rsplit("/", 1)[1]
        pg_server.sql(f"ALTER DATABASE {name} OWNER TO {LOGIN_USER}")
        yield name


def test_an_unusable_database_is_one_line_and_exit_1(pg_server, no_vector_database, cli_env,
                                                     pg_indexed_url):
    indexed = pg_indexed_url.rsplit("/", 1)[1]
    pg_server.sql("UPDATE isnad_schema SET version = 99 WHERE component = 'index'", indexed)
    cases = [
        (f"postgresql://isnad:{LOGIN_PASSWORD}@127.0.0.1:{free_port()}/isnad",
         "cannot reach the database server"),
        (pg_server.url("postgres", LOGIN_USER, "wrong-" + LOGIN_PASSWORD), "refused the login"),
        (pg_server.url(no_vector_database, LOGIN_USER, LOGIN_PASSWORD),
         "CREATE EXTENSION vector"),
        (pg_server.url(indexed), "written by a newer Isnad"),
    ]
    for url, says in cases:
        for command in (["index", "status"], ["ask", QUESTION], ["index", "verify"]):
            result = run(command, {**cli_env, "ISNAD_DATABASE_URL": url}, timeout=120)
            assert result.returncode == 1, (command, says, result.stderr)
            assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
            assert LOGIN_PASSWORD not in result.stderr + result.stdout
            assert "Traceback" not in result.stderr


def test_pgvector_is_created_where_the_user_may(pg_server, cli_env):
    for url in new_database(pg_server, template="template0"):
        name = url.rsplit("/", 1)[1]
        result = run(["index", "status"], {**cli_env, "ISNAD_DATABASE_URL": url})
        assert result.returncode == 1 and "isnad index build" in result.stderr
        assert pg_server.sql("SELECT extname FROM pg_extension WHERE extname = 'vector'",
                             name).strip() == "vector"


def test_the_server_dying_mid_question_fails_that_question_only(pg_server, pg_indexed_url,
                                                               light_encoder, tmp_path):
    engine = Engine(storage_at(pg_indexed_url, tmp_path).open(), light_encoder)
    assert engine.ask(ISIS).quotes
    pg_server.stop("immediate")
    try:
        with pytest.raises(IndexUnavailable, match="database") as failed:
            engine.ask(ISIS)
        assert "\n" not in str(failed.value)
    finally:
        pg_server.start()
    assert engine.ask(ISIS).quotes  # the same engine, a new connection
    engine.index.close()


def test_moving_a_local_index_to_postgres_embeds_nothing_again(writable_home, pg_url,
                                                               light_encoder):
    local = open_storage(writable_home)
    postgres = open_storage(writable_home, "postgres", database=Database(pg_url))
    report = postgres.update(light_encoder, add=local.stored_articles(), fresh=True,
                             progress=False)
    assert report.articles == 5 and report.embedded == 0 and report.cached > 0
    assert postgres.verify(light_encoder).ok
