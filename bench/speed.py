"""Speed and memory figures on 2 cores.

Usage: python bench/speed.py [--model M ...]

For each model, on the bundled corpus, in one run:
- build: an index built with an empty embedding cache → passages/s, and the same
  texts encoded directly by the encoder → texts/s; their ratio is the pipeline's
  overhead (1.0 = none);
- ask: median and p95 latency of `Engine.ask` after load, over the QA set's questions;
- cold start: wall time of a fresh `isnad ask` process on the built index, next to a
  fresh process that only loads the model and embeds one word (the same imports, the
  same first forward pass); the difference is what Isnad adds. Peak RSS of `isnad ask`.
Latency at archive scale is bench/scale.py's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QA = ROOT / "tests" / "data" / "qa.jsonl"


def questions() -> list[str]:
    return [json.loads(line)["question"] for line in QA.read_text().splitlines() if line.strip()]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


LOAD_ONLY = ("from isnad.app import load_encoder; from isnad.settings import Settings; "
             "load_encoder(Settings(), progress=False).encode_query('word')")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB) of one fresh process. GNU time reports the peak
    of that process alone (a child forked from this big benchmark process would count
    its pages too)."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], env=env, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - started, int(done.stderr.strip().splitlines()[-1])


def bench_model(model: str) -> dict[str, object]:
    from isnad.app import load_encoder, read_corpus
    from isnad.corpus import bundled_corpus_dir, split_article
    from isnad.home import IndexHome
    from isnad.provenance import run_info
    from isnad.retrieval.engine import Engine
    from isnad.retrieval.local import LocalIndex, build_index
    from isnad.settings import Settings

    out: dict[str, object] = run_info(model)  # model, isnad version, date
    settings = Settings(model=model)  # the model cache of ISNAD_HOME is reused
    encoder = load_encoder(settings, progress=False)
    articles = read_corpus([bundled_corpus_dir()]).articles
    with tempfile.TemporaryDirectory() as tmp:
        home = IndexHome(Path(tmp))  # its own, empty embedding cache
        report = build_index(home, articles, encoder, progress=False)
        texts = []
        for article in articles:
            sentences, passages = split_article(article)
            texts += [article.text[p.start:p.end] for p in passages]
            texts += [article.text[s.start:s.end] for s in sentences]
        started = time.perf_counter()
        encoder.encode_documents(texts, 32)
        encode_s = time.perf_counter() - started
        out.update({
            "passages": report.passages, "sentences": report.sentences,
            "build_s": round(report.seconds, 2),
            "build_passages_per_s": round(report.passages / report.seconds, 2),
            "build_texts_per_s": round(len(texts) / report.seconds, 2),
            "encoder_texts_per_s": round(len(texts) / encode_s, 2),
            "build_vs_encoder": round(encode_s / report.seconds, 3),
        })
        engine = Engine(LocalIndex(home), encoder)
        engine.ask("warm up")
        latencies = []
        for q in questions():
            t0 = time.perf_counter()
            engine.ask(q)
            latencies.append(1000 * (time.perf_counter() - t0))
        out["ask_median_ms"] = round(statistics.median(latencies), 1)
        out["ask_p95_ms"] = round(pct(latencies, 0.95), 1)
        env = {**os.environ, "ISNAD_HOME": tmp, "ISNAD_MODEL": model}
        # the index's model files: point the fresh processes at the same model cache
        (Path(tmp) / "models").symlink_to(settings.index_home.models_dir)
        ask = [sys.executable, "-m", "isnad", "ask", "Where is the Yarmouk camp?"]
        load_only = [sys.executable, "-c", LOAD_ONLY]
        colds, loads, rss = [], [], []
        for _ in range(3):  # interleaved, so both see the same state of the machine
            loads.append(timed(load_only, env)[0])
            seconds, peak_kb = timed(ask, env)
            colds.append(seconds)
            rss.append(peak_kb)
        load_s, cold_s = statistics.median(loads), statistics.median(colds)
        out["model_load_s"] = round(load_s, 2)
        out["cold_start_s"] = round(cold_s, 2)
        out["cold_start_minus_model_load_s"] = round(cold_s - load_s, 2)
        out["peak_rss_mb"] = round(max(rss) / 1024, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", action="append")
    args = parser.parse_args()
    results = [bench_model(m) for m in args.model or ["embeddinggemma", "e5-small-q4"]]
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "speed.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
