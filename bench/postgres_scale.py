"""The index at archive scale on both backends: local FAISS + SQLite against PostgreSQL
(exact, then HNSW), at 100k and 1M passages.

    python bench/postgres_scale.py [--sizes 100000,1000000] [--pool 10000] [--work DIR]
                                   [--only-build local|postgres]

``--only-build`` builds one backend's indexes and stops (two such processes build both
at once on 2 cores: the local writer is one Python thread, the PostgreSQL one mostly
waits on the server); a run without it reuses what is built under ``--work`` and builds
the rest, then measures.

The fast encoder (e5-small-q4, 384-d) stands in for EmbeddingGemma, which would take
days to embed a million passages on 2 cores. Rows are synthetic but made of real text:
each article is 8–14 sentences drawn at random from a pool of ``--pool`` SaudiNewsNet
sentences, which are embedded for real; a passage's vector is the normalised mean of
its sentences' (put in both backends' embedding caches, so the writers embed nothing
and go through their real write path, planning and dedup included).

Per size, in one run, each backend built from the same articles with the same vectors:
1. the build (one write of every article): wall time, disk;
2. ``Engine.ask`` (question encoding included, no reader) over 60 XQuAD Arabic questions
   (10 more warm up): median / p95, local, PostgreSQL exact, PostgreSQL HNSW (the HNSW
   indexes are then built, timed, as the writer builds them above ``HNSW_MIN_PASSAGES``);
3. recall@20 of HNSW against exact for the dense passage and sentence searches;
4. ``index add`` of one new article (3 articles, median) into each;
5. 20 askers at once on one engine (one process, 20 threads: the bot's worker pool):
   questions/s and each question's median / p95;
6. memory: the bench process's RSS after opening each index, and the server's.
Writes bench/results/postgres-scale.json (model, Isnad version, date).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "tests"))

from pgserver import Server, binaries, reachable_binaries, server_user  # noqa: E402

from isnad.corpus import Article, split_article, split_sentences  # noqa: E402
from isnad.database import Database  # noqa: E402
from isnad.embeddings import create_encoder  # noqa: E402
from isnad.home import IndexHome  # noqa: E402
from isnad.provenance import run_info  # noqa: E402
from isnad.retrieval import open_storage  # noqa: E402
from isnad.retrieval.embedding import EmbeddingCache, text_hash  # noqa: E402
from isnad.retrieval.engine import Engine  # noqa: E402
from isnad.retrieval.postgres import cache as pg_cache  # noqa: E402
from isnad.retrieval.postgres import writer  # noqa: E402

MODEL = "e5-small-q4"
K = 20


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_rss_mb(server: Server) -> float:
    """Memory of the server's processes (postmaster and children), proportional set
    size: shared buffers counted once, not once per process that maps them."""
    pid = int((server.data / "postmaster.pid").read_text().split()[0])
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(proc.name) == pid or int(fields.get("PPid", "0").strip()) == pid:
            rollup = (proc / "smaps_rollup").read_text().splitlines()
            total += sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
    return total / 1024


def pool_sentences(n: int) -> list[str]:
    found: dict[str, None] = {}
    for archive in sorted((SHARED / "saudinewsnet").glob("*.zip")):
        with zipfile.ZipFile(archive) as opened:
            for name in sorted(opened.namelist()):
                for item in json.loads(opened.read(name)):
                    text = (item.get("content") or "").strip()
                    for span in split_sentences(text):
                        sentence = text[span.start:span.end].strip()
                        if 40 <= len(sentence) <= 300:
                            found.setdefault(sentence)
                    if len(found) >= n:
                        return list(found)[:n]
    return list(found)


def xquad_questions(n: int) -> list[str]:
    data = json.loads((SHARED / "xquad" / "xquad.ar.json").read_text())["data"]
    found = [qa["question"] for article in data for paragraph in article["paragraphs"]
             for qa in paragraph["qas"]]
    return random.Random(7).sample(found, n)


def synthetic(pool: list[str], vectors: np.ndarray, passages: int, seed: int, put,
              prefix: str = "syn") -> list[Article]:
    """Articles until they hold ``passages`` passages; the vector of every passage and
    sentence text in them goes to ``put`` (text hash → vector), a thousand articles at a
    time (a million passages' vectors at once would not fit beside two indexes)."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    by_text = {text: vectors[i] for i, text in enumerate(pool)}
    outlets = ["Okaz", "Al Riyadh", "Al Madina", "Al Yaum", "Sabq", "Al Watan"]
    articles, known, total = [], {}, 0
    while total < passages:
        picked = rng.sample(range(len(pool)), rng.randint(8, 14))
        article = Article(id=f"{prefix}-{len(articles):07d}", text=" ".join(pool[i] for i in
                                                                            picked),
                          source=rng.choice(outlets), title=pool[picked[0]][:60])
        sentences, pieces = split_article(article)
        sentence_vectors = []
        for span in sentences:
            text = article.text[span.start:span.end]
            vector = by_text.get(text)
            if vector is None:  # the splitter cut elsewhere: its nearest pool sentence
                vector = vectors[picked[min(len(picked) - 1, len(sentence_vectors))]]
            # Each use of a pool sentence gets its own vector nearby (cosine ≈ 0.96), as
            # a sentence reworded by another outlet would: thousands of identical vectors
            # would make a degenerate HNSW graph and ties without meaning.
            jitter = noise.standard_normal(len(vector)).astype(np.float32)
            vector = vector + 0.3 * jitter / np.linalg.norm(jitter)
            vector = vector / np.linalg.norm(vector)
            sentence_vectors.append(vector)
            known[text_hash(text)] = vector
        for passage in pieces:
            mean = np.mean(sentence_vectors[passage.first:passage.last + 1], axis=0)
            known[text_hash(article.text[passage.start:passage.end])] = mean / np.linalg.norm(
                mean)
        articles.append(article)
        total += len(pieces)
        if len(articles) % 1000 == 0:
            put(known)
            known = {}
    put(known)
    return articles


def timed(work, items) -> list[float]:
    times = []
    for item in items:
        started = time.perf_counter()
        work(item)
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
                            1)}


def ask_latency(engine: Engine, questions: list[str]) -> dict[str, float]:
    for question in questions[:10]:
        engine.ask(question)
    return summary(timed(engine.ask, questions[10:]))


def concurrent(engine: Engine, questions: list[str], askers: int = 20) -> dict[str, float]:
    def one(question: str) -> float:
        started = time.perf_counter()
        engine.ask(question)
        return (time.perf_counter() - started) * 1000

    work = (questions * 3)[:askers * 5]
    started = time.perf_counter()
    with ThreadPoolExecutor(askers) as pool:
        times = list(pool.map(one, work))
    wall = time.perf_counter() - started
    return {"askers": askers, "questions": len(work),
            "questions_per_s": round(len(work) / wall, 1), **summary(times)}


def ef_sweep(local_engine: Engine, pg_engine: Engine, encoder, questions: list[str],
             efs=(100, 200, 400, 800)) -> dict[str, dict[str, float]]:
    """Per ``hnsw.ef_search``: recall@20 (tie-aware) of the HNSW passage and sentence
    searches against exact ones (the local index: exact by construction, and the same
    as PostgreSQL exact, bench/postgres_parity.py), their latency, and how many
    questions keep the exact top-3 quotes."""
    vectors = [encoder.encode_query(q) for q in questions]
    exact = [(local_engine.index.dense(v, K), local_engine.index.dense_sentences(v, K))
             for v in vectors]
    truth = [[(x.article_id, x.start) for x in local_engine.ask(q, top=3).quotes]
             for q in questions]
    out = {}
    for ef in efs:
        pg_engine.index.session.run(lambda db, ef=ef: db.execute(f"SET hnsw.ef_search = {ef}"))
        figures: dict[str, float] = {}
        for what, search, n in (("passages", pg_engine.index.dense, 0),
                                ("sentences", pg_engine.index.dense_sentences, 1)):
            started = time.perf_counter()
            found = [search(v, K) for v in vectors]
            figures[f"{what}_ms"] = round((time.perf_counter() - started) * 1000 /
                                          len(vectors), 1)
            figures[f"{what}_recall@20"] = round(statistics.mean(
                sum(score >= e[n][-1][1] - 1e-4 for _, score in got) / K
                for e, got in zip(exact, found, strict=True)), 3)
        figures["same_top3"] = sum(
            [(x.article_id, x.start) for x in pg_engine.ask(q, top=3).quotes] == t
            for q, t in zip(questions, truth, strict=True))
        figures["questions"] = len(questions)
        out[str(ef)] = figures
    pg_engine.index.session.close()  # its next connection has Isnad's own ef_search
    return out


def add_one(storage, encoder, pool, vectors, seed: int, cache_put) -> dict[str, float]:
    times = []
    for i in range(3):
        articles = synthetic(pool, vectors, 1, seed + i, cache_put, prefix=f"new{seed}-{i}")
        started = time.perf_counter()
        report = storage.update(encoder, add=articles[:1], progress=False)
        times.append(time.perf_counter() - started)
        assert report.added and report.embedded == 0, report
    return {"median_s": round(statistics.median(times), 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--pool", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/isnad-pg-scale"))
    parser.add_argument("--only-build", choices=["local", "postgres"])
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results_path = ROOT / "bench" / "results" / "postgres-scale.json"

    encoder = create_encoder(MODEL, args.work / "models", progress=False)
    pool = pool_sentences(args.pool)
    pool_file = args.work / f"pool-{len(pool)}.npy"
    if pool_file.exists():
        vectors = np.load(pool_file)
    else:
        started = time.perf_counter()
        vectors = encoder.encode_documents(pool, 32)
        np.save(pool_file, vectors)
        print(f"pool: {len(pool)} sentences embedded in {time.perf_counter() - started:.0f} s",
              flush=True)
    questions = xquad_questions(70)

    user = server_user()
    folder = args.work / "pg"
    server = Server(folder, reachable_binaries(binaries(), folder, user), user)
    if args.only_build != "local":
        if not server.data.exists():
            server.init()
            with open(server.data / "postgresql.conf", "a") as conf:
                conf.write("shared_buffers = 4GB\nmaintenance_work_mem = 4GB\n"
                           "max_parallel_maintenance_workers = 1\nmax_connections = 100\n")
        server.start()
    sizes = [int(size) for size in args.sizes.split(",")]
    # Sizes measured by an earlier run stay, each with its own date: 1M takes hours.
    earlier = json.loads(results_path.read_text()) if results_path.exists() else {}
    results = {**run_info(MODEL), "cpus": 2, "pool_sentences": len(pool), "sizes": [
        {"date": earlier.get("date"), **row} for row in earlier.get("sizes", [])
        if row["passages_target"] not in sizes]}
    try:
        for size in sizes:
            row = {"passages_target": size, "date": results["date"]}
            home = IndexHome(args.work / f"home-{size}")
            name = f"scale_{size}"
            database = Database(server.url(name))
            local, postgres = open_storage(home), open_storage(home, "postgres",
                                                               database=database)
            built = {b: args.work / f"built-{b}-{size}.json" for b in ("local", "postgres")}
            wanted = [b for b in ("local", "postgres")
                      if not built[b].exists() and args.only_build in (None, b)]
            if wanted:
                caches = []
                if "local" in wanted:
                    caches.append(EmbeddingCache(EmbeddingCache.path_for(
                        home.cache_dir, encoder.fingerprint()), encoder.dim))
                if "postgres" in wanted:
                    server.sql(f"DROP DATABASE IF EXISTS {name}")
                    server.sql(f"CREATE DATABASE {name}")
                    server.sql("CREATE EXTENSION vector", database=name)
                    caches.append(pg_cache.PostgresEmbeddingCache(database, encoder))
                articles = synthetic(pool, vectors, size, size, lambda known, caches=caches: [
                    cache.put_many(known.items()) for cache in caches])
                for cache in caches:
                    cache.close()
            if "local" in wanted:
                started = time.perf_counter()
                report = local.update(encoder, add=articles, fresh=True, progress=False)
                built["local"].write_text(json.dumps({
                    "build_s": round(time.perf_counter() - started, 1), "articles":
                    report.articles, "passages": report.passages, "sentences":
                    report.sentences, "embedded": report.embedded}))
            if "postgres" in wanted:
                writer.HNSW_MIN_PASSAGES = 10**12  # exact first: HNSW is built and timed below
                started = time.perf_counter()
                report = postgres.update(encoder, add=articles, fresh=True, progress=False)
                built["postgres"].write_text(json.dumps({
                    "build_s": round(time.perf_counter() - started, 1),
                    "passages": report.passages, "embedded": report.embedded}))
            if wanted:
                del articles
            for backend in wanted:
                print(f"{size}: {backend} built: {built[backend].read_text()}", flush=True)
            if args.only_build:
                continue
            for backend, path in built.items():
                figures = json.loads(path.read_text())
                row[f"{backend}_build_s"] = figures["build_s"]
                row.update({k: v for k, v in figures.items() if k in ("articles", "passages",
                                                                      "sentences")})
            local_cache = EmbeddingCache(EmbeddingCache.path_for(
                home.cache_dir, encoder.fingerprint()), encoder.dim)
            shared_cache = pg_cache.PostgresEmbeddingCache(database, encoder)

            def put_both(more, local_cache=local_cache, shared_cache=shared_cache):
                local_cache.put_many(more.items())
                shared_cache.put_many(more.items())

            before = rss_mb()
            local_engine = Engine(local.open(), encoder)
            row["local_open_rss_mb"] = round(rss_mb() - before, 1)
            row["local_disk_mb"] = round(local_engine.stats().bytes / 2**20, 1)
            row["local_ask"] = ask_latency(local_engine, questions)
            row["local_20_askers"] = concurrent(local_engine, questions)
            connection = database.connect()
            connection.execute("DROP INDEX IF EXISTS index_passages_hnsw, "
                               "index_sentences_hnsw")  # from an earlier run: exact first
            connection.close()
            pg_engine = Engine(postgres.open(), encoder)
            row["postgres_exact_ask"] = ask_latency(pg_engine, questions)
            exact = {q: (pg_engine.index.dense(v, K), pg_engine.index.dense_sentences(v, K))
                     for q, v in ((q, encoder.encode_query(q)) for q in questions[10:40])}
            row["postgres_exact_20_askers"] = concurrent(pg_engine, questions)
            print(f"{size}: {json.dumps(row)}", flush=True)

            writer.HNSW_MIN_PASSAGES = 0
            started = time.perf_counter()
            connection = database.connect()
            writer._build_hnsw(connection, encoder.dim)  # as the writer builds them
            connection.close()
            row["hnsw_build_s"] = round(time.perf_counter() - started, 1)
            row["postgres_ask_hnsw"] = ask_latency(pg_engine, questions)
            recalls = {"passages": [], "sentences": []}
            for question, (passages, sentences) in exact.items():
                vector = encoder.encode_query(question)
                for what, truth, got in (
                        ("passages", passages, pg_engine.index.dense(vector, K)),
                        ("sentences", sentences, pg_engine.index.dense_sentences(vector, K))):
                    # Tie-aware: a hit scoring as well as the exact k-th counts.
                    kth = truth[-1][1] - 1e-4
                    recalls[what].append(sum(score >= kth for _, score in got[:K]) / K)
            row["hnsw_recall@20"] = {k: round(statistics.mean(v), 4) for k, v in
                                     recalls.items()}
            row["postgres_hnsw_20_askers"] = concurrent(pg_engine, questions)
            row["hnsw_ef_search"] = ef_sweep(local_engine, pg_engine, encoder, questions[10:])
            row["postgres_disk_mb"] = round(pg_engine.stats().bytes / 2**20, 1)
            row["postgres_server_rss_mb"] = round(server_rss_mb(server), 1)
            row["local_add_one"] = add_one(local, encoder, pool, vectors, 11, put_both)
            row["postgres_add_one"] = add_one(postgres, encoder, pool, vectors, 21, put_both)
            local_engine.index.close()
            pg_engine.index.close()
            local_cache.close()
            shared_cache.close()
            print(f"{size}: {json.dumps(row)}", flush=True)
            results["sizes"].append(row)
            results["sizes"].sort(key=lambda r: r["passages_target"])
            results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        if args.only_build:
            print("built; run again without --only-build to measure", flush=True)
    finally:
        if args.only_build != "local":  # a local-only build leaves the other's server be
            server.stop()


if __name__ == "__main__":
    main()
