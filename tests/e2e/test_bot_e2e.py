"""The real bot process against a Telegram Bot API emulator, over HTTP on 127.0.0.1.

Each test plays a different user (its own chat), so the tests do not see each
other's messages and the per-user limit never interferes. The emulator enforces no
Telegram limits; every message the bot sends is checked here: ≤ 4,096 characters,
balanced known HTML tags, callback data ≤ 64 bytes.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from isnad.bot.deeplinks import article_id_from
from isnad.home import IndexHome
from isnad.prompts.bot import bot_t
from isnad.retrieval.local import LocalIndex

from .checks import assert_callback_data, assert_within_limits, blockquotes, visible
from .conftest import ADMIN_ID, TOKEN
from .harness import BOT_USER, BotProcess, Emulator, FakeUser, group_chat

ENGLISH = "Where was ISIS to be evacuated to?"
ARABIC = "إلى أين سيخرج عناصر تنظيم الدولة من جنوب دمشق؟"
_HREF = re.compile(r'href="([^"]+)"')
_CODE = re.compile(r"<code>([^<]+)</code>")


def checked(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every message within Telegram's limits; returns the calls for chaining."""
    for call in calls:
        params = call["params"]
        assert params.get("parse_mode") == "HTML"
        assert_within_limits(params["text"])
        assert_callback_data(params.get("reply_markup"))
    return calls


def callback_data(call: dict[str, Any], prefix: str) -> list[str]:
    markup = call["params"].get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row
            if b.get("callback_data", "").startswith(prefix)]


_DEEP_LINK = f"https://t.me/{BOT_USER['username']}?start="


def citation(attribution: str) -> str:
    """The url an attribution links to, or the article id it names (linked to the
    article in the bot, or shown as code)."""
    link = html.unescape((_HREF.search(attribution) or _CODE.search(attribution)).group(1))
    return article_id_from(link.removeprefix(_DEEP_LINK)) or link \
        if link.startswith(_DEEP_LINK) else link


def cited_quotes(text: str) -> list[tuple[str, str]]:
    """(quote as the reader sees it, the url or article id its attribution cites)."""
    cited = []
    for block in text.split("<blockquote>")[1:]:
        quoted, after = block.split("</blockquote>", 1)
        cited.append((visible(quoted), citation(after.split("\n", 2)[1])))
    return cited


def row_of(call: dict[str, Any]) -> list[str]:
    """The labels of an answer message's buttons."""
    markup = call["params"].get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def with_markup(message: dict[str, Any], markup: dict[str, Any]) -> dict[str, Any]:
    """A sent message as Telegram shows it after the bot changed its buttons."""
    return {**message, "reply_markup": markup}


@pytest.fixture(scope="module")
def catalog_articles(e2e_home: Path) -> dict[str, Any]:
    """The index's articles by id and by url, read through the catalog."""
    index = LocalIndex(IndexHome(e2e_home))
    articles = index.catalog.articles(with_text=True)
    index.close()
    return {**{a.id: a for a in articles}, **{a.url: a for a in articles if a.url}}


def assert_verbatim(text: str, articles: dict[str, Any]) -> int:
    quotes = cited_quotes(text)
    for quote, citation in quotes:
        article = articles[citation]
        assert quote.removesuffix("…") in article.text, (quote, citation)
    return len(quotes)


def first_call(emulator: Emulator, method: str, since: int, token: str = TOKEN,
               timeout: float = 30) -> dict[str, Any]:
    calls = emulator.wait_for(lambda cs: any(c["method"] == method for c in cs), token, since,
                              timeout)
    return next(c for c in calls if c["method"] == method)


def ask(emulator: Emulator, user: FakeUser, question: str, n: int = 1,
        token: str = TOKEN, timeout: float = 30) -> list[dict[str, Any]]:
    mark = emulator.mark()
    emulator.send_text(token, user, question)
    return checked(emulator.wait_sent(token, user.id, mark, n=n, timeout=timeout))


# -- the conversation ---------------------------------------------------------------------------
def test_start_describes_the_bundled_corpus(emulator: Emulator, any_bot: BotProcess,
                                            catalog_articles):
    (reply,) = ask(emulator, FakeUser(1001), "/start", token=any_bot.token)
    text = visible(reply["params"]["text"])
    assert "Isnad answers questions about Arabic news" in text
    assert "The index holds 5 articles" in text
    assert bot_t("example_1", "en") in text and bot_t("example_2", "en") in text
    dated = sum(1 for a in {a.id: a for a in catalog_articles.values()}.values() if a.published)
    assert dated == 1 and "One of them states when it was published: on 20" in text
    (arabic,) = ask(emulator, FakeUser(1011, "ar"), "/start", token=any_bot.token)
    assert "عدد المقالات في الفهرس: 5" in visible(arabic["params"]["text"])


def test_english_question_is_answered_with_verbatim_quotes(emulator, any_bot,
                                                           catalog_articles):
    (reply,) = ask(emulator, FakeUser(1002), ENGLISH, token=any_bot.token)
    assert assert_verbatim(reply["params"]["text"], catalog_articles) >= 1
    assert callback_data(reply, "m:")
    assert row_of(reply)[1:] == ["Context", "👍", "👎"]  # one light row, More first


def test_arabic_question_is_answered_in_arabic(emulator, any_bot, catalog_articles):
    (reply,) = ask(emulator, FakeUser(1003, "en"), ARABIC, token=any_bot.token)
    assert assert_verbatim(reply["params"]["text"], catalog_articles) >= 1
    assert row_of(reply) == ["المزيد", "السياق", "👍", "👎"][-len(row_of(reply)):]


def test_more_context_and_feedback_buttons(emulator, main_bot, catalog_articles, e2e_home):
    user = FakeUser(1004)
    (answer,) = ask(emulator, user, ENGLISH)
    first = [q for q, _ in cited_quotes(answer["params"]["text"])]

    mark = emulator.mark()
    emulator.press(TOKEN, user, answer["result"], callback_data(answer, "m:")[0])
    notice = first_call(emulator, "answerCallbackQuery", mark)
    if notice["params"].get("text"):  # nothing further above the engine's threshold
        assert notice["params"]["text"] == "No further quotes for this question."
    else:  # the new quotes follow the callback's answer
        (more,) = checked(emulator.wait_sent(TOKEN, user.id, mark))
        assert assert_verbatim(more["params"]["text"], catalog_articles) >= 1
        assert not set(first) & {q for q, _ in cited_quotes(more["params"]["text"])}
        assert f"<b>{len(first) + 1}.</b>" in more["params"]["text"]
        assert callback_data(more, "m:")  # "More" moved to the newest message…
        edit = first_call(emulator, "editMessageReplyMarkup", mark)
        assert not callback_data(edit, "m:")  # …from the old one

    # Context: the quote numbers first (when the answer has several), then the passage.
    mark = emulator.mark()
    context_button = (callback_data(answer, "n:") or callback_data(answer, "c:"))[0]
    emulator.press(TOKEN, user, answer["result"], context_button)
    message = answer["result"]
    if context_button.startswith("n:"):
        numbers = first_call(emulator, "editMessageReplyMarkup", mark)
        assert str(numbers["params"]["message_id"]) == str(answer["result"]["message_id"])
        message = with_markup(message, numbers["params"]["reply_markup"])
        context_button = callback_data(numbers, "c:")[0]
        mark = emulator.mark()
        emulator.press(TOKEN, user, message, context_button)
    (context,) = checked(emulator.wait_sent(TOKEN, user.id, mark))
    text = context["params"]["text"]
    replied_to = context["params"]["reply_parameters"]["message_id"]
    assert str(replied_to) == str(answer["result"]["message_id"])
    assert "Quote 1 in its context" in visible(text)
    (passage,) = blockquotes(text)
    quote, cited = cited_quotes(answer["params"]["text"])[0]
    assert quote.removesuffix("…") in passage
    assert passage in catalog_articles[cited].text  # the context is verbatim too
    assert "<b>" in text

    mark = emulator.mark()
    # The vote for the same quote (replacing only the prefix: a token may hold "c:" too).
    emulator.press(TOKEN, user, message, "v:" + context_button.removeprefix("c:") + ":1")
    thanks = first_call(emulator, "answerCallbackQuery", mark)
    assert thanks["params"]["text"] == "Thank you: your feedback was recorded."
    with sqlite3.connect(e2e_home / "bot.sqlite") as db:
        rows = db.execute('SELECT user_id, chat_id, question, article_id, start, "end", vote '
                          "FROM feedback WHERE user_id = ?", (user.id,)).fetchall()
    (row,) = rows
    assert row[:3] == (user.id, user.id, ENGLISH) and row[-1] == 1
    article = next(a for a in catalog_articles.values() if a.id == row[3])
    assert article.text[row[4]:row[5]] == quote.removesuffix("…")


def test_an_article_id_opens_the_whole_article_verbatim(emulator, any_bot,
                                                        catalog_articles):
    """The deep link behind an attribution's id, then its pages, give back the text."""
    user, token = FakeUser(1013), any_bot.token
    (answer,) = ask(emulator, user, ENGLISH, token=token)
    links = _HREF.findall(answer["params"]["text"])
    assert links and all(link.startswith(_DEEP_LINK) for link in links)  # bundled: no urls
    payload = html.unescape(links[0]).removeprefix(_DEEP_LINK)
    article = catalog_articles[article_id_from(payload)]
    (page,) = ask(emulator, user, f"/start {payload}", token=token)
    pages, message = [page], page["result"]
    while nxt := [d for d in callback_data(pages[-1], "a:")
                  if d.split(":")[1] == str(len(pages))]:
        mark = emulator.mark()
        emulator.press(token, user, message, nxt[0])
        pages.append(checked([first_call(emulator, "editMessageText", mark, token)])[0])
    texts = [html.unescape(re.search(r"<blockquote>\u200f?(.*?)</blockquote>",
                                     p["params"]["text"], re.S).group(1)) for p in pages]
    assert "".join(texts) == article.text
    (typed,) = ask(emulator, user, f"/article {article.id}", token=token)
    assert typed["params"]["text"] == page["params"]["text"]


def test_buttons_act_only_in_the_chat_of_their_answer(emulator, main_bot, e2e_home):
    owner, stranger = FakeUser(1014), FakeUser(1015)
    (answer,) = ask(emulator, owner, ENGLISH)
    token = callback_data(answer, "m:")[0].split(":")[1]
    elsewhere = {**answer["result"], "chat": stranger.private_chat()}  # the token, copied
    mark = emulator.mark()
    for data in (f"m:{token}", f"c:{token}:0", f"v:{token}:0:-1"):
        emulator.press(TOKEN, stranger, elsewhere, data)
    calls = emulator.wait_for(
        lambda cs: sum(c["method"] == "answerCallbackQuery" for c in cs) == 3, TOKEN, mark)
    alerts = [c["params"]["text"] for c in calls if c["method"] == "answerCallbackQuery"]
    assert alerts == [bot_t("not_here", "en")] * 3
    assert not emulator.sent_to(TOKEN, stranger.id, mark)
    with sqlite3.connect(e2e_home / "bot.sqlite") as db:
        assert not db.execute("SELECT * FROM feedback WHERE user_id = ?",
                              (stranger.id,)).fetchall()


def test_forget_deletes_what_the_bot_stored_about_the_sender(emulator, main_bot, e2e_home):
    user = FakeUser(1016)
    (answer,) = ask(emulator, user, ENGLISH)
    token = callback_data(answer, "m:")[0].split(":")[1]
    mark = emulator.mark()
    emulator.press(TOKEN, user, answer["result"], f"v:{token}:0:1")
    first_call(emulator, "answerCallbackQuery", mark)
    (done,) = ask(emulator, user, "/forget")
    assert "questions 1, votes 1" in visible(done["params"]["text"])
    with sqlite3.connect(e2e_home / "bot.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        left = db.execute("SELECT token, user_id, question, at FROM answers WHERE chat_id = ?",
                          (user.id,)).fetchall()
        assert not left, f"token {token}, checked at {time.time():.0f}: {left}"
        assert not db.execute("SELECT * FROM feedback WHERE user_id = ?", (user.id,)).fetchall()


def test_groups_hear_only_mentions_replies_and_ask(emulator, main_bot):
    user, chat = FakeUser(1005), group_chat(-1005)
    mark = emulator.mark()
    emulator.send_text(TOKEN, user, "where did the buses go?", chat=chat)
    emulator.send_text(TOKEN, user, f"@{BOT_USER['username']} {ENGLISH}", chat=chat)
    (reply,) = checked(emulator.wait_sent(TOKEN, chat["id"], mark))
    time.sleep(1.0)  # time enough for a wrongful answer to the first message to show
    assert len(emulator.sent_to(TOKEN, chat["id"], mark)) == 1
    assert reply["params"]["reply_parameters"]["message_id"]
    mark = emulator.mark()
    emulator.send_text(TOKEN, user, f"/ask {ARABIC}", chat=chat)
    emulator.send_text(TOKEN, user, "and then?", chat=chat, reply_to=reply["result"])
    checked(emulator.wait_sent(TOKEN, chat["id"], mark, n=2))


def test_inline_mode_offers_quotes(emulator, main_bot):
    mark = emulator.mark()
    emulator.inline_query(TOKEN, FakeUser(1006), ENGLISH)
    results = first_call(emulator, "answerInlineQuery", mark)["params"]["results"]
    assert 1 <= len(results) <= 50
    for result in results:
        assert_within_limits(result["input_message_content"]["message_text"])


CONVOY = "What happened to the water convoy for Qalamoun?"
CLAUSES = [
    "which left Damascus at dawn with forty trucks of drinking water",
    "according to the drivers who later spoke to the test desk by telephone",
    "was stopped at three checkpoints on the mountain road to Qalamoun",
    "where soldiers counted every tank of water twice before letting it pass",
    "while families in the villages waited beside the empty reservoirs",
    "and the convoy leader said the delays cost the water convoy a full day",
    "because the bridge near Yabroud had been closed since the spring floods",
    "so the trucks took the older road through the orchards and the quarries",
    "where two of the tankers broke down and had to be towed by tractors",
    "until mechanics from the nearest town arrived with spare hoses and tyres",
    "and local volunteers carried jerrycans from the stranded trucks on foot",
    "as the water convoy for Qalamoun became the talk of every market",
    "with shopkeepers offering bread and tea to the tired drivers",
    "and a teacher organising children to help fill the village cisterns",
    "even though nobody from the water authority came to supervise the work",
    "and the last truck reached the highest village long after midnight",
]


def convoy_article() -> dict[str, str]:
    """A test-only article of four long sentences (each over 1,500 characters) about
    one event, so an answer to CONVOY quotes several and cannot fit one message."""
    sentences = []
    for n, word in enumerate(["first", "second", "third", "fourth"]):
        clauses = CLAUSES[n:] + CLAUSES[:n]
        sentences.append(f"In its {word} report the water convoy for Qalamoun, "
                         + ", ".join(clauses + clauses[::-1]) + ".")
    return {"id": "test-long-sentences", "title": "The water convoy for Qalamoun",
            "source": "Isnad test desk", "published": "2018-06-01",
            "url": "https://example.org/isnad-test/convoy", "text": " ".join(sentences)}


@pytest.fixture(scope="module")
def long_home(light_home: Path, light_encoder, tmp_path_factory) -> Path:
    """The bundled corpus plus the convoy article (the copied embedding cache means only
    the new article is embedded)."""
    from isnad.app import read_corpus
    from isnad.corpus import bundled_corpus_dir
    from isnad.retrieval.local import build_index

    home = tmp_path_factory.mktemp("long-home") / "home"
    shutil.copytree(light_home, home, symlinks=True)
    extra = home.parent / "convoy.jsonl"
    extra.write_text(json.dumps(convoy_article(), ensure_ascii=False) + "\n")
    articles = read_corpus([bundled_corpus_dir(), extra]).articles
    build_index(IndexHome(home), articles, light_encoder, progress=False)
    return home


def test_a_long_answer_is_split_between_quotes(emulator, long_home, tmp_path):
    """A second bot on the same emulator (its own token and index)."""
    token = "7654321:E2E-long-answers"
    article = convoy_article()
    bot = BotProcess(emulator, token, long_home, tmp_path / "long.log", env={"ISNAD_TOP": "4"})
    try:
        bot.wait_ready()
        user = FakeUser(1007)
        mark = emulator.mark()
        emulator.send_text(token, user, CONVOY)
        # The last part of an answer carries the "More" button.
        emulator.wait_for(lambda cs: any(c["method"] == "sendMessage" and callback_data(c, "m:")
                                         for c in cs), token, mark)
        parts = checked(emulator.sent_to(token, user.id, mark))
    finally:
        assert bot.stop() == 0
    assert len(parts) >= 2, [len(p["params"]["text"]) for p in parts]
    quotes = [q for p in parts for q in cited_quotes(p["params"]["text"])]
    assert len(quotes) == len({q for q, _ in quotes})  # no quote twice, none cut in two
    for quote, citation in quotes:
        assert citation == article["url"] and quote in article["text"]
    assert callback_data(parts[-1], "m:") and not callback_data(parts[0], "m:")


def test_reindex_is_for_admins_only(emulator, main_bot):
    stranger = FakeUser(1008)
    (refusal,) = ask(emulator, stranger, "/reindex")
    assert visible(refusal["params"]["text"]) == "This command is for Isnad's maintainers."
    (refusal,) = ask(emulator, stranger, "/stats")
    assert "maintainers" in visible(refusal["params"]["text"])

    admin = FakeUser(ADMIN_ID)
    started, done = ask(emulator, admin, "/reindex", n=2, timeout=120)
    assert "Re-indexing" in visible(started["params"]["text"])
    assert re.search(r"5 unchanged.*Now 5 articles \(\d+ passages\)",
                     visible(done["params"]["text"]))
    (stats,) = ask(emulator, admin, "/stats")
    assert "Articles: 5" in visible(stats["params"]["text"])
    (after,) = ask(emulator, FakeUser(1018), ENGLISH)  # the new engine answers
    assert cited_quotes(after["params"]["text"])


def test_a_blocked_chat_does_not_lose_others_answers(emulator, main_bot):
    blocked, other = FakeUser(1009), FakeUser(1010)
    emulator.fail_next(blocked.id, "forbidden")
    emulator.fail_next(other.id, "retry_after")  # 429 once: the rate limiter retries
    mark = emulator.mark()
    emulator.send_text(TOKEN, blocked, ENGLISH)
    emulator.send_text(TOKEN, other, ENGLISH)
    attempts = emulator.wait_sent(TOKEN, other.id, mark, n=2)  # refused once, then sent
    assert attempts[0]["params"]["text"] == attempts[1]["params"]["text"]
    assert len(emulator.sent_to(TOKEN, blocked.id, mark)) == 1  # tried once, dropped
    assert "blocked the bot" in main_bot.log()


def test_twenty_users_at_once_are_all_answered(emulator, any_bot, catalog_articles):
    users = [FakeUser(2000 + i, "ar" if i % 2 else "en") for i in range(20)]
    mark = emulator.mark()
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda u: emulator.send_text(any_bot.token, u,
                                                   ARABIC if u.id % 2 else ENGLISH), users))

    def all_answered(calls: list[dict[str, Any]]) -> bool:
        answered = {str(c["params"].get("chat_id")) for c in calls
                    if c["method"] == "sendMessage"}
        return all(str(u.id) in answered for u in users)

    calls = emulator.wait_for(all_answered, any_bot.token, mark, timeout=90)
    replies = checked([c for c in calls if c["method"] == "sendMessage"])
    for reply in replies:
        assert assert_verbatim(reply["params"]["text"], catalog_articles) >= 1
    assert any_bot.process.poll() is None


def test_the_token_never_reaches_the_log(main_bot):
    log = main_bot.log()
    assert "getUpdates" in log  # DEBUG logging is on: request URLs are logged…
    assert TOKEN not in log and "bot<token>" in log  # …with the token redacted


# -- start-up, tokens and the webhook ----------------------------------------------------------
def run_briefly(emulator: Emulator, token: str | None, home: Path, *args: str,
                base_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "ISNAD_HOME": str(home), "ISNAD_MODEL": "e5-small-q4"}
    if token is not None:
        env["TELEGRAM_BOT_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "isnad.bot", "--base-url",
                           base_url or emulator.url, *args],
                          env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("token", [None, "", "0:revoked-token-value", "not a token",
                                   "1234567:E2E/../../getMe", "1234567:E2E?x=1",
                                   "1234567:E2E#part"])
def test_missing_or_rejected_token_exits_2_with_one_line(emulator, e2e_home, token):
    result = run_briefly(emulator, token, e2e_home)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("isnad: ")
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    if token:
        assert token not in result.stderr + result.stdout


def test_a_password_in_the_base_url_is_never_echoed(emulator, e2e_home):
    """A Bot API server behind HTTP basic authentication: its password is a secret too."""
    with_password = emulator.url.replace("http://", "http://isnad:pa55-word@")
    result = run_briefly(emulator, "0:revoked-token-value", e2e_home, base_url=with_password)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and f"127.0.0.1:{emulator.port}" in result.stderr
    assert "pa55-word" not in result.stderr + result.stdout


def test_a_bot_sqlite_from_a_newer_isnad_stops_the_bot_with_one_line(emulator, e2e_home,
                                                                   tmp_path):
    home = tmp_path / "home"
    shutil.copytree(e2e_home, home, symlinks=True, ignore=shutil.ignore_patterns("bot.sqlite*"))
    with sqlite3.connect(home / "bot.sqlite") as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    result = run_briefly(emulator, "7654321:E2E-newer-store", home)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "newer Isnad" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_webhook_mode_sets_the_secret_and_refuses_updates_without_it(emulator, e2e_home,
                                                                     tmp_path):
    """The emulator's own webhook mode crashes when a secret is set, so this test plays
    Telegram's part: it posts updates to the bot's webhook itself."""
    token, secret = "7777777:E2E-webhook", "s3cret-webhook_token"
    with httpx.Client() as probe, socket.socket() as free:
        free.bind(("127.0.0.1", 0))  # a free port for the bot's webhook server
        port = free.getsockname()[1]
        free.close()
        url = f"http://127.0.0.1:{port}/isnad-hook"
        bot = BotProcess(emulator, token, e2e_home, tmp_path / "webhook.log",
                         env={"ISNAD_DEBUG": "1"},
                         args=["--webhook-url", url, "--webhook-secret", secret,
                               "--listen", "127.0.0.1", "--port", str(port)])
        try:
            hook = first_call(emulator, "setWebhook", bot.mark, token, timeout=120)["params"]
            assert hook["url"] == url and hook["secret_token"] == secret
            user = FakeUser(1012)
            update = {"update_id": 1, "message": {
                "message_id": 1, "date": int(time.time()), "chat": user.private_chat(),
                "from": user.as_dict(), "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
            deadline = time.monotonic() + 30
            while True:  # the server starts listening just after setWebhook
                try:
                    wrong = probe.post(url, json=update,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
            assert wrong.status_code == 403
            mark = emulator.mark()
            right = probe.post(url, json=update,
                               headers={"X-Telegram-Bot-Api-Secret-Token": secret})
            assert right.status_code == 200
            (reply,) = checked(emulator.wait_sent(token, user.id, mark))
            assert "/sources" in reply["params"]["text"]
        finally:
            assert bot.stop() == 0
        assert secret not in bot.log() and token not in bot.log()  # logged at DEBUG


# -- following the index ------------------------------------------------------------------------
FERRY = {"id": "ferry-1", "title": "Ferry resumes", "source": "Isnad test desk",
         "url": "https://example.org/isnad-test/ferry",
         "text": "The lake ferry to Tiberias Island resumed service on Thursday after two "
                 "years. Tickets cost four dinars and the crossing takes forty minutes."}
FERRY_QUESTION = "How long does the ferry crossing to Tiberias Island take?"


def test_the_bot_follows_a_new_index_version_without_dropping_questions(
        emulator, writable_home, tmp_path):
    """`isnad index add` in another process; the running bot answers from the new version
    within seconds, and the questions sent while it switches are all answered."""
    token = "7654321:E2E-follows-index"
    home = writable_home.root
    bot = BotProcess(emulator, token, home, tmp_path / "follow.log",
                     env={"ISNAD_BOT_RELOAD_SECONDS": "1"})
    try:
        bot.wait_ready()
        batch = tmp_path / "ferry.jsonl"
        batch.write_text(json.dumps(FERRY) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ISNAD_")}
        env.update({"ISNAD_HOME": str(home), "ISNAD_MODEL": "e5-small-q4"})
        users = [FakeUser(3000 + i) for i in range(4)]
        mark = emulator.mark()
        for user in users[:2]:  # in flight while the writer runs
            emulator.send_text(token, user, ENGLISH)
        subprocess.run([sys.executable, "-m", "isnad", "index", "add", str(batch)], env=env,
                       check=True, capture_output=True, timeout=300)
        published = time.monotonic()
        for user in users[2:]:  # around the switch
            emulator.send_text(token, user, ENGLISH)
        cited: list[str] = []
        asker = FakeUser(3100)
        while "https://example.org/isnad-test/ferry" not in cited:
            assert time.monotonic() - published < 30, "the bot kept the old index version"
            (reply,) = ask(emulator, asker, FERRY_QUESTION, token=token)
            cited = [c for _, c in cited_quotes(reply["params"]["text"])]
            time.sleep(0.5)
        for user in users:
            assert emulator.wait_sent(token, user.id, mark), user
    finally:
        assert bot.stop() == 0
    assert "now answering from index version" in bot.log()
