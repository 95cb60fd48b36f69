"""What scoring long sentences by their closest words (retrieval/windows.py) costs and
changes, in one run, with the default model.

Usage: python bench/windows.py [--parts paragraphs,build] [--out NAME]

- ``paragraphs``: inside the gold paragraph of every TyDi QA / ARCD development
  question (bench/train_reader.py's held-out 20 % of titles; paragraphs of more than
  one sentence, as bench/train_query_adapter.py counts them), which sentence comes
  first by its own cosine and by the higher of its own and its best window's, with
  the model alone and with the query adapter: accuracy@1 (development data).
- ``build``: the bundled articles indexed from an empty embedding cache with and
  without windows (``ISNAD_WINDOWS``: texts embedded, seconds, the embedding cache's
  size on disk), then ``ask`` latency after load, median and p95 over the development
  questions: windows off (the index built without them), windows on (their vectors in
  the cache, as the writer leaves them), and windows on with the cache gone (each
  window embedded when first met, then kept in memory).
Writes bench/results/windows[-NAME].json. The own and news development sets are
measured through bench/reader.py and bench/news_dev.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def paragraphs() -> dict:
    from train_query_adapter import windowed
    from train_reader import read_examples

    from isnad.app import load_encoder
    from isnad.retrieval.embedding import EmbeddingCache, embed_texts
    from isnad.retrieval.reports import UpdateReport
    from isnad.retrieval.windows import sentence_windows
    from isnad.settings import Settings

    development = [e for e in read_examples()[0]
                   if e.split == "dev" and len(e.sentences) > 1]
    out: dict[str, dict] = {}
    for spec in ("none", "auto"):
        settings = Settings(model="embeddinggemma", reader="none", query_adapter=spec)
        encoder = load_encoder(settings)
        texts = sorted({t for e in development for s in e.sentences
                        for t in (s, *sentence_windows(s))})
        cache = EmbeddingCache(EmbeddingCache.path_for(settings.home / "cache",
                                                       encoder.fingerprint()), encoder.dim)
        try:
            vectors = dict(zip(texts, embed_texts(texts, encoder, cache, UpdateReport(),
                                                  progress=True), strict=True))
        finally:
            cache.close()
        queries = encoder.encode_queries([e.question for e in development])
        hits: dict[str, dict[str, list[bool]]] = {}
        for e, q in zip(development, queries, strict=True):
            own = np.array([vectors[s] @ q for s in e.sentences])
            for label, scores in (("sentence", own),
                                  ("with_windows", windowed(own, e.sentences, q, vectors))):
                hits.setdefault(e.source, {}).setdefault(label, []).append(
                    int(np.argmax(scores)) == e.positive)
        out[encoder.query_adapter or "none"] = {
            source: {"questions": len(rows["sentence"]),
                     **{k: round(sum(v) / len(v), 4) for k, v in rows.items()}}
            for source, rows in sorted(hits.items())}
        print(spec, out[encoder.query_adapter or "none"], file=sys.stderr)
    return out


def build() -> dict:
    from reader import latency

    from isnad.app import load_encoder, read_corpus
    from isnad.corpus import bundled_corpus_dir
    from isnad.home import IndexHome
    from isnad.retrieval import open_storage
    from isnad.retrieval.engine import Engine
    from isnad.retrieval.local import LocalIndex
    from isnad.settings import Settings

    encoder = load_encoder(Settings(model="embeddinggemma", reader="none"))
    articles = read_corpus([bundled_corpus_dir()]).articles
    questions = [json.loads(line)["question"] for line in
                 (ROOT / "bench" / "data" / "calibration.jsonl").read_text().splitlines()]
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        homes = {}
        for label, windows in (("without_windows", False), ("with_windows", True)):
            home = IndexHome(Path(folder) / label)
            started = time.perf_counter()
            report = open_storage(home).update(encoder, add=articles, fresh=True,
                                               progress=False, windows=windows)
            seconds = time.perf_counter() - started
            cache_bytes = sum(p.stat().st_size for p in home.cache_dir.glob("embeddings-*"))
            out[f"build_{label}"] = {"texts_embedded": report.embedded,
                                     "seconds": round(seconds, 1),
                                     "embedding_cache_bytes": cache_bytes}
            homes[label] = home
            print(label, out[f"build_{label}"], file=sys.stderr)
        # ISNAD_WINDOWS=off as a user runs it: built without runs, asked without them.
        off = Engine(LocalIndex(homes["without_windows"]), encoder, windows=False)
        out["ask_windows_off"] = latency(off, questions)
        home = homes["with_windows"]
        on = Engine(LocalIndex(home), encoder)
        out["ask_windows_on"] = latency(on, questions)
        for path in home.cache_dir.glob("embeddings-*"):
            path.unlink()
        cold = Engine(LocalIndex(home), encoder)
        out["ask_windows_on_cache_gone_first_pass"] = latency(cold, questions)
        out["ask_windows_on_cache_gone_second_pass"] = latency(cold, questions)
        print(out, file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default="paragraphs,build")
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    from isnad import __version__
    from isnad.retrieval.windows import WINDOW_STRIDE, WINDOW_WORDS

    results: dict[str, object] = {"model": "embeddinggemma", "isnad_version": __version__,
                                  "date": time.strftime("%Y-%m-%d"),
                                  "window_words": WINDOW_WORDS,
                                  "window_stride": WINDOW_STRIDE}
    parts = args.parts.split(",")
    if "paragraphs" in parts:
        results["paragraphs"] = paragraphs()
    if "build" in parts:
        results["build"] = build()
    name = "windows" + (f"-{args.out}" if args.out else "")
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
