"""The Telegram bot's latency through the Bot API emulator, as a user sees it.

Usage: python bench/bot_latency.py [--rounds N] [--model e5-small-q4] [--json]

Starts the emulator (scripts/emulator; needs `npm ci --prefix scripts/emulator`) and
the real bot process (`python -m isnad.bot`) with an index of the bundled corpus,
then measures:

* start-up: from launching the bot to its first getUpdates (index already built);
* latency: from a user's message reaching the emulator to the bot's answer reaching
  it (both stamped by the emulator's clock or this machine's, the same clock), for
  one user asking alone, and for 20 users asking at the same moment;
* memory: resident set size of the bot process after the runs;
* following the index: `isnad index add` of one new article in another process, then
  the same question every 0.25 s until the bot quotes the new article: seconds from
  the add command's exit (the new version is published) to that answer.

The figures go to bench/results/bot_latency-MODEL.json, with the model, Isnad version,
date, CPU count and load average (other programs on the machine change them a lot).

Questions alternate between English and Arabic ones about the bundled articles. The
light model (e5-small-q4) is the default so the figures compare across machines
without downloading the 1.2 GB one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from e2e.harness import BotProcess, Emulator, FakeUser  # noqa: E402

from isnad.provenance import run_info  # noqa: E402

TOKEN = "5550001:BENCH-latency"
QUESTIONS = [
    "Where was ISIS to be evacuated to?",
    "إلى أين سيخرج عناصر تنظيم الدولة من جنوب دمشق؟",
    "Who negotiated with the Islamic State?",
    "ماذا حدث في مخيم اليرموك؟",
    "How many buses entered the camp?",
    "كم عدد الحافلات؟",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 0.95), 1), "max_ms": round(max(values), 1)}


def reply_latency(emulator: Emulator, user: FakeUser, question: str) -> float:
    """Milliseconds from posting the question to the bot's first message in reply."""
    return burst(emulator, [(user, question)])[0]


def burst(emulator: Emulator, asks: list[tuple[FakeUser, str]]) -> list[float]:
    """Post every question at once (one thread each), then follow the bot's calls until
    each user has a reply: one watcher, so the measuring does not load the emulator."""
    mark = emulator.mark()
    with ThreadPoolExecutor(len(asks)) as pool:
        posted = dict(zip((u.id for u, _ in asks),
                          pool.map(lambda a: emulator.send_text(TOKEN, a[0], a[1]), asks),
                          strict=True))

    def first_replies(calls: list[dict]) -> dict[int, float]:
        replies: dict[int, float] = {}
        for call in calls:
            chat = int(call["params"].get("chat_id", 0))
            if call["method"] == "sendMessage" and chat in posted and chat not in replies:
                replies[chat] = call["at"]
        return replies

    calls = emulator.wait_for(lambda cs: len(first_replies(cs)) == len(posted), TOKEN, mark,
                              timeout=300)
    replies = first_replies(calls)
    return [replies[user_id] - posted[user_id] * 1000 for user_id in posted]


def pickup_seconds(emulator: Emulator, home: Path, model: str, n: int) -> float:
    """Seconds from publishing a version with a new article to the bot quoting it."""
    import subprocess
    import time

    url = f"https://example.org/isnad-bench/ferry-{n}"
    article = {"id": f"ferry-{n}", "title": "Ferry", "source": "Bench desk", "url": url,
               "text": f"The ferry to island number {n} sails every {n + 2} hours. Its "
                       f"crossing takes {n + 30} minutes, the harbour master said."}
    batch = home.parent / f"ferry-{n}.jsonl"
    batch.write_text(json.dumps(article) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISNAD_")}
    env.update({"ISNAD_HOME": str(home), "ISNAD_MODEL": model})
    subprocess.run([sys.executable, "-m", "isnad", "index", "add", str(batch)], env=env,
                   check=True, capture_output=True)
    published = time.monotonic()
    user = FakeUser(5000 + n)
    while time.monotonic() - published < 60:
        mark = emulator.mark()
        emulator.send_text(TOKEN, user, f"How long does the crossing to island number {n} "
                                        "take?")
        (reply,) = emulator.wait_sent(TOKEN, user.id, mark)
        if url in reply["params"]["text"]:
            return time.monotonic() - published
        time.sleep(0.25)
    raise RuntimeError("the bot did not pick up the new index version within 60 s")


def build_home(home: Path, model: str) -> None:
    from isnad.app import open_engine
    from isnad.settings import Settings

    # Reuse the user's model cache: the default model is 1.2 GB to fetch again.
    home.mkdir(parents=True, exist_ok=True)
    models = Settings().index_home.models_dir
    if models.is_dir():
        (home / "models").symlink_to(models)
    open_engine(Settings(home=home, model=model, _env_file=None), progress=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="questions for one user")
    parser.add_argument("--concurrent-rounds", type=int, default=3,
                        help="bursts of 20 users asking at once")
    parser.add_argument("--model", default="e5-small-q4")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="isnad-bench-") as tmp:
        tmp_path = Path(tmp)
        home = tmp_path / "home"
        build_home(home, args.model)
        emulator = Emulator(tmp_path / "emulator.log")
        bot = BotProcess(emulator, TOKEN, home, tmp_path / "bot.log",
                         env={"ISNAD_MODEL": args.model,
                              "ISNAD_BOT_QUESTIONS_PER_MINUTE": "1000"})
        try:
            startup = bot.wait_ready()
            reply_latency(emulator, FakeUser(1), QUESTIONS[0])  # warm-up, not counted
            alone = [reply_latency(emulator, FakeUser(1), QUESTIONS[i % len(QUESTIONS)])
                     for i in range(args.rounds)]
            together: list[float] = []
            for round_ in range(args.concurrent_rounds):
                together += burst(emulator, [(FakeUser(100 + 20 * round_ + i),
                                              QUESTIONS[i % len(QUESTIONS)])
                                             for i in range(20)])
            rss = bot.rss_mib()
            pickups = [pickup_seconds(emulator, home, args.model, n) for n in range(5)]
        finally:
            bot.stop()
            emulator.stop()

    report = {
        **run_info(args.model),  # model, isnad version, date
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine
        "startup_s": round(startup, 2),
        "one_user": summary(alone),
        "twenty_users_at_once": summary(together),
        "rss_mib": round(rss, 1),
        "new_version_answered_after_s": {"n": len(pickups),
                                         "median": round(statistics.median(pickups), 2),
                                         "max": round(max(pickups), 2)},
    }
    out = ROOT / "bench" / "results" / f"bot_latency-{args.model}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        print(json.dumps(report))
    else:
        print(f"model            {report['model']}")
        print(f"start-up         {report['startup_s']} s (launch → first getUpdates)")
        for name in ("one_user", "twenty_users_at_once"):
            s = report[name]
            print(f"{name:16} median {s['median_ms']} ms · p95 {s['p95_ms']} ms · "
                  f"max {s['max_ms']} ms (n={s['n']})")
        print(f"memory (RSS)     {report['rss_mib']} MiB")
        follow = report["new_version_answered_after_s"]
        print(f"new version      answered {follow['median']} s (max {follow['max']} s) after "
              "`isnad index add` returned")
        print(f"machine          {report['cpus']} CPUs, load average {report['load_average_1m']}"
              f" → {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
