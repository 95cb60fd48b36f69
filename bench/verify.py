"""`isnad index verify` at 100,000 passages, and on one article at the size cap.

Usage: python bench/verify.py [--passages 100000] [--work DIR]

verify reads the catalog and every segment; what it costs depends on how many rows,
vectors and characters there are, not on what the vectors mean. So the vectors here
are random unit vectors, put into the embedding cache under the light model's
fingerprint before the index is written: the index itself is written by the real
writer from the real readers' articles (SaudiNewsNet, exported as JSON Lines), and
embeds nothing. In one run, under --work (a fresh ISNAD_HOME each):

1. SaudiNewsNet articles in archive order until they hold 10 % more than --passages
   passages (the writer skips duplicates, 7 % of them), indexed in one build;
2. `isnad index verify --skip-model` (median of 3 runs of the command) and
   `isnad index verify` (the model loaded, fingerprints compared), and verify_index
   alone, in-process;
3. the same on an index of one article just under ISNAD_MAX_ARTICLE_BYTES (5 MB,
   ~11,000 passages and 35,000 sentences), which verify once checked in quadratic time
   (SQLite's length() of the whole text for every one of its rows).
Writes bench/results/verify.json (verify-N.json for another --passages), with the
model whose fingerprint the index carries, the Isnad version and the date.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from isnad.corpus import Article
    from isnad.embeddings import Encoder
    from isnad.home import IndexHome

ROOT = Path(__file__).resolve().parents[1]
MODEL = "e5-small-q4"  # only its fingerprint and dimension are used: nothing is embedded
#: SaudiNewsNet repeats stories (wire copy, re-posts): 100,004 passages exported made
#: 93,177 once the writer had skipped the duplicates.
DUPLICATE_MARGIN = 1.1


def export(folder: Path, passages: int) -> tuple[Path, int]:
    """SaudiNewsNet as JSON Lines, in archive order, until ``passages`` passages."""
    sys.path.insert(0, str(ROOT / "bench"))
    from scale import saudinewsnet_until

    return saudinewsnet_until(folder / "export.jsonl", passages)


def random_vectors_for(home: IndexHome, encoder: Encoder, articles: list[Article]) -> int:
    """A random unit vector in the embedding cache for every text the writer will ask
    for (each passage and sentence); returns how many texts."""
    from isnad.corpus.sentences import split_article
    from isnad.retrieval.embedding import EmbeddingCache, text_hash

    cache = EmbeddingCache(EmbeddingCache.path_for(home.cache_dir, encoder.fingerprint()),
                           encoder.dim)
    rng = np.random.default_rng(9)
    count = 0
    try:
        for start in range(0, len(articles), 500):
            texts = []
            for article in articles[start:start + 500]:
                sentences, passages = split_article(article)
                texts += [article.text[p.start:p.end] for p in passages]
                texts += [article.text[s.start:s.end] for s in sentences]
            vectors = rng.standard_normal((len(texts), encoder.dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            cache.put_many(zip([text_hash(t) for t in texts], vectors, strict=True))
            count += len(texts)
    finally:
        cache.close()
    return count


def timed_cli(home: Path, *args: str) -> tuple[float, str]:
    env = {**os.environ, "ISNAD_HOME": str(home), "ISNAD_MODEL": MODEL}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "isnad", "index", "verify", *args],
                          env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"isnad index verify {' '.join(args)}: {done.stderr[-2000:]}")
    return wall, done.stdout.strip()


def measure(home_dir: Path, articles: list[Article], encoder: Encoder) -> dict[str, object]:
    from isnad.home import IndexHome
    from isnad.retrieval.local import build_index, verify_index

    home = IndexHome(home_dir)
    started = time.perf_counter()
    texts = random_vectors_for(home, encoder, articles)
    cached_s = time.perf_counter() - started
    report = build_index(home, articles, encoder, progress=False)
    if report.embedded:
        raise RuntimeError(f"{report.embedded} texts were embedded: the cache missed them")
    started = time.perf_counter()
    checked = verify_index(home, None)
    in_process = time.perf_counter() - started
    if not checked.ok:
        raise RuntimeError(f"verify found problems: {checked.problems[:3]}")
    skip_model = [timed_cli(home_dir, "--skip-model") for _ in range(3)]
    with_model = timed_cli(home_dir)
    return {
        "articles": report.articles, "passages": report.passages,
        "sentences": report.sentences, "texts_cached": texts,
        "cache_fill_s": round(cached_s, 1), "build_s": round(report.seconds, 1),
        "verify_in_process_s": round(in_process, 2),
        "verify_skip_model_cli_median_s": round(statistics.median(w for w, _ in skip_model), 2),
        "verify_cli_s": round(with_model[0], 2),
        "verify_output": with_model[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/isnad-bench-verify"))
    args = parser.parse_args()

    from isnad.corpus import Article, read_articles
    from isnad.corpus.readers import MAX_ARTICLE_BYTES
    from isnad.embeddings import create_encoder
    from isnad.provenance import run_info

    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    out: dict[str, object] = run_info(MODEL)
    encoder = create_encoder(MODEL, args.work / "models", progress=False)

    path, planned = export(args.work, int(args.passages * DUPLICATE_MARGIN))
    read = read_articles([path])
    out["archive"] = {"source": "SaudiNewsNet, archive order", "passages_planned": planned,
                      **measure(args.work / "archive", read.articles, encoder)}
    print(json.dumps(out["archive"], ensure_ascii=False), flush=True)

    sentence = "قال المتحدث إن الوفد وصل إلى المدينة صباح اليوم لبحث الملف رقم {} مع المسؤولين. "
    longest = len(sentence.format(99_999).encode())
    huge = Article(id="huge", text="".join(
        sentence.format(i) for i in range((MAX_ARTICLE_BYTES - 1000) // longest)))
    out["one_article"] = {"bytes": len(huge.text.encode()),
                          **measure(args.work / "huge", [huge], encoder)}
    print(json.dumps(out["one_article"], ensure_ascii=False), flush=True)

    tag = "" if args.passages == 100_000 else f"-{args.passages}"
    target = ROOT / "bench" / "results" / f"verify{tag}.json"
    target.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
