"""Re-indexing at news-archive scale: SaudiNewsNet (31,030 articles) through the CLI.

Usage: python bench/scale.py [--model use-multilingual] [--limit N] [--work DIR]

In one run, with a fresh ISNAD_HOME (empty embedding cache) under --work:
1. the archive is exported as JSON Lines (what a scraper would hand a maintainer), all
   but the last 21 articles; those are kept back as "new" articles;
2. the encoder's own throughput on the passages and sentences of 150 random articles;
3. `isnad index build export.jsonl`: wall time, passages/s and texts/s (passages and
   sentences are both embedded), their ratio to the encoder's own, peak RSS (GNU time);
   size on disk and duplicates reported;
4. `isnad index add one.jsonl` (one new article): wall time of the command and the
   write itself; `isnad index add export.jsonl` again (all unchanged): wall time and
   texts embedded (goal: 0);
5. question latency (Engine.ask, median/p95 over XQuAD's Arabic questions) on the big
   index, alone and while `isnad index add` writes 20 new articles in another process.
Writes bench/results/scale-<model>[-<limit>].json (with the model, Isnad version and date).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
HELD_BACK = 21


def saudinewsnet() -> list[dict]:
    records = []
    for archive in sorted((SHARED / "saudinewsnet").glob("*.zip")):
        with zipfile.ZipFile(archive) as opened:
            for name in sorted(opened.namelist()):
                for n, item in enumerate(json.loads(opened.read(name))):
                    date = (item.get("date_extracted") or "")[:10]
                    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
                        date = None
                    records.append({
                        "id": f"snn-{archive.stem}-{n:05d}",
                        "title": item.get("title") or None,
                        "source": item.get("source") or None,
                        "url": item.get("url") or None,
                        "published": date,
                        "text": item.get("content") or "",
                    })
    return records


def write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def saudinewsnet_until(path: Path, passages: int) -> tuple[Path, int]:
    """SaudiNewsNet articles, in archive order, written to ``path`` as JSON Lines until
    they hold ``passages`` passages (by Isnad's own splitter); the passages written."""
    from isnad.corpus.model import Article
    from isnad.corpus.sentences import split_article

    chosen, total = [], 0
    for record in saudinewsnet():
        if total >= passages:
            break
        text = record["text"].strip()
        if text:
            chosen.append(record)
            total += len(split_article(Article(id=record["id"], text=text))[1])
    write_jsonl(path, chosen)
    return path, total


def isnad(env: dict[str, str], *args: str) -> tuple[float, int, str, str]:
    """Run `isnad ARGS` under GNU time: (wall seconds, peak RSS in KiB, stdout, stderr)."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "RSS %M", sys.executable, "-m", "isnad",
                           *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    rss = int(re.findall(r"RSS (\d+)", done.stderr)[-1])
    if done.returncode not in (0, 1):
        raise RuntimeError(f"isnad {' '.join(args)} failed: {done.stderr[-2000:]}")
    return wall, rss, done.stdout, done.stderr


def _encode_share(summary: str, wall: float) -> float | None:
    found = re.search(r"texts embedded in ([\d.]+) s", summary)
    return round(float(found.group(1)) / wall, 3) if found else None


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def xquad_questions(n: int) -> list[str]:
    data = json.loads((SHARED / "xquad" / "xquad.ar.json").read_text())["data"]
    found = [qa["question"] for article in data for paragraph in article["paragraphs"]
             for qa in paragraph["qas"]]
    return random.Random(7).sample(found, n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="use-multilingual")
    parser.add_argument("--limit", type=int, help="only the first N articles")
    parser.add_argument("--work", type=Path, default=Path("/tmp/isnad-scale"))
    args = parser.parse_args()

    from isnad.corpus import read_articles, split_article
    from isnad.embeddings import create_encoder
    from isnad.home import IndexHome
    from isnad.provenance import run_info
    from isnad.retrieval.engine import Engine
    from isnad.retrieval.local import LocalIndex
    from isnad.settings import Settings

    tag = args.model + (f"-{args.limit}" if args.limit else "")
    work = args.work / tag
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)
    (work / "home").mkdir(parents=True)
    # Model files come from the user's home (the fetched EmbeddingGemma, if any).
    (work / "home" / "models").symlink_to(Settings().index_home.models_dir)
    env = {**os.environ, "ISNAD_HOME": str(work / "home"), "ISNAD_MODEL": args.model}
    out: dict[str, object] = run_info(args.model)  # model, isnad version, date

    records = [r for r in saudinewsnet() if r["text"].strip()]
    if args.limit:
        records = records[:args.limit + HELD_BACK]
    archive, fresh = records[:-HELD_BACK], records[-HELD_BACK:]
    write_jsonl(work / "export.jsonl", archive)
    write_jsonl(work / "one.jsonl", fresh[:1])
    write_jsonl(work / "twenty.jsonl", fresh[1:])
    out["articles_in_export"] = len(archive)

    # 2. the encoder alone, on the texts of a random sample of the archive
    encoder = create_encoder(args.model, work / "home" / "models", progress=False)
    write_jsonl(work / "sample.jsonl", random.Random(11).sample(archive, min(150, len(archive))))
    sample = read_articles([work / "sample.jsonl"]).articles
    texts = []
    for article in sample:
        sentences, passages = split_article(article)
        texts += [article.text[p.start:p.end] for p in passages]
        texts += [article.text[s.start:s.end] for s in sentences]
    encoder.encode_documents(texts[:8], 32)
    started = time.perf_counter()
    encoder.encode_documents(texts, 32)
    encoder_tps = len(texts) / (time.perf_counter() - started)
    out["encoder_texts_per_s"] = round(encoder_tps, 1)
    print(json.dumps(out), flush=True)

    # 3. the full build
    wall, rss, stdout, stderr = isnad(env, "index", "build", str(work / "export.jsonl"))
    status = json.loads(isnad(env, "index", "status", "--json")[2])
    texts_total = status["passages"] + status["sentences"]
    out.update({
        "build_s": round(wall, 1), "build_peak_rss_mb": round(rss / 1024),
        "articles": status["articles"], "passages": status["passages"],
        "sentences": status["sentences"], "bytes_on_disk": status["bytes"],
        "duplicates_reported": stderr.count("\nduplicate ") + stderr.startswith("duplicate "),
        "build_passages_per_s": round(status["passages"] / wall, 1),
        "build_texts_per_s": round(texts_total / wall, 1),
        "build_vs_encoder": round(texts_total / wall / encoder_tps, 3),
        # Within the build itself: the share of its wall time spent in the encoder.
        "build_encode_share": _encode_share(stdout, wall),
        "build_summary": stdout.strip().splitlines()[-1] if stdout.strip() else "",
    })
    print(json.dumps(out), flush=True)

    # 4. one new article; then everything again, unchanged
    wall, rss, stdout, _ = isnad(env, "index", "add", "--json", str(work / "one.jsonl"))
    report = json.loads(stdout)
    out.update({"add_one_s": round(wall, 2), "add_one_write_s": report["seconds"],
                "add_one_embedded": report["embedded"]})
    wall, rss, stdout, _ = isnad(env, "index", "add", "--json", str(work / "export.jsonl"))
    report = json.loads(stdout)
    out.update({"readd_all_s": round(wall, 1), "readd_all_write_s": report["seconds"],
                "readd_all_embedded": report["embedded"],
                "readd_all_unchanged": report["unchanged"],
                "readd_all_peak_rss_mb": round(rss / 1024)})
    print(json.dumps(out), flush=True)

    # 5. latency on the big index, alone and while an add runs
    engine = Engine(LocalIndex(IndexHome(work / "home")), encoder)
    questions = xquad_questions(120)
    engine.ask(questions[0])

    def timed(qs: list[str]) -> list[float]:
        values = []
        for q in qs:
            t0 = time.perf_counter()
            engine.ask(q)
            values.append(1000 * (time.perf_counter() - t0))
        return values

    alone = timed(questions[:60])
    result: dict[str, object] = {}

    def add_twenty() -> None:
        result["wall"], _, result["stdout"], _ = isnad(env, "index", "add", "--json",
                                                       str(work / "twenty.jsonl"))

    writer = threading.Thread(target=add_twenty)
    writer.start()
    time.sleep(1.0)  # past the writer's model load, into reading and embedding
    during: list[float] = []
    for q in questions[60:]:
        if not writer.is_alive():
            break
        during += timed([q])
    writer.join()
    out.update({
        "ask_median_ms": round(statistics.median(alone), 1),
        "ask_p95_ms": round(pct(alone, 0.95), 1),
        "ask_during_add_median_ms": round(statistics.median(during), 1) if during else None,
        "ask_during_add_p95_ms": round(pct(during, 0.95), 1) if during else None,
        "asked_during_add": len(during),
        "add_twenty_s": round(float(result["wall"]), 1),
    })
    print(json.dumps(out), flush=True)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / f"scale-{tag}.json").write_text(json.dumps(out, indent=2)
                                                                   + "\n")


if __name__ == "__main__":
    main()
