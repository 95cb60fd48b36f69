"""The bot's handlers with PTB's offline test pattern: a ``BaseRequest`` that records
every Bot API call and answers with canned JSON, so the real Application, handlers,
rate limiter and SQLite store run without a network. The engine is a small stand-in
with fixed answers (the real one is exercised end to end in tests/e2e)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from e2e.checks import assert_callback_data, assert_within_limits, blockquotes, visible
from telegram import Update
from telegram.request import BaseRequest, RequestData

from isnad.bot import admin
from isnad.bot.app import RedactToken, api_urls, build_application, run_bot
from isnad.bot.config import BotSettings
from isnad.bot.state import KEY
from isnad.corpus.model import Article
from isnad.corpus.sentences import split_sentences
from isnad.prompts.bot import bot_t
from isnad.retrieval import Answer, IndexStats, Quote, prepare_question
from isnad.settings import Settings

TOKEN = "123456:TEST-token_for-unit-tests"
BOT = {"id": 666, "is_bot": True, "first_name": "Isnad", "username": "IsnadBot"}
ADMIN = 42

ARTICLES = [
    Article(id="sy24-exchange", source="SY24", title="عملية تبادل بين داعش والنظام",
            published="2018-04-20", url="https://example.org/sy24",
            text="أكدت مصادر محلية إجراء أول عملية تبادل. وقالت إن التنظيم سيخرج إلى "
                 "بادية السويداء خلال شهر. ولم يعلق النظام على ذلك."),
    Article(id="orient-" + "x" * 120, source="Orient <News> & Co", title=None, published=None,
            url=None, text="لم يخرج مقاتل واحد من جنوب دمشق. والاتفاق مع داعش معلّق حتى الآن."),
    Article(id="souria", source="SY24", title="Bus & <b>convoy</b>", published="2018-05-21",
            url=None, text="Buses entered the camp on Sunday. Fighters were to leave for the "
                           "Badia desert. Nobody confirmed the deal."),
]


def quote(article: Article, sentence: str, score: float = 0.8) -> Quote:
    start = article.text.index(sentence)
    return Quote(text=sentence, article_id=article.id, title=article.title,
                 source=article.source, published=article.published, url=article.url,
                 start=start, end=start + len(sentence), score=score)


QUOTES = [
    quote(ARTICLES[0], "وقالت إن التنظيم سيخرج إلى بادية السويداء خلال شهر."),
    quote(ARTICLES[2], "Fighters were to leave for the Badia desert."),
    quote(ARTICLES[1], "لم يخرج مقاتل واحد من جنوب دمشق."),
    quote(ARTICLES[2], "Buses entered the camp on Sunday."),
    quote(ARTICLES[0], "ولم يعلق النظام على ذلك."),
]


class FakeEngine:
    """Answers every question with the first ``top`` of ``quotes`` (QUOTES), "nothing"
    to questions about the weather, and refuses what the real engine refuses. What the
    bot reads besides answers is the engine's public read interface (IndexView)."""

    model = "fake"

    def __init__(self, articles: list[Article] | None = None,
                 quotes: list[Quote] | None = None) -> None:
        self.stored = ARTICLES if articles is None else articles
        self.quotes = QUOTES if quotes is None else quotes
        self.questions: list[tuple[str, int]] = []

    def ask(self, question: str, top: int = 3) -> Answer:
        clean = prepare_question(question)
        self.questions.append((clean.text, top))
        if "boom" in clean.text:
            raise RuntimeError("engine failure")
        if "weather" in clean.text:
            return Answer(question=clean.text, language=clean.language, answered=False,
                          quotes=[])
        return Answer(question=clean.text, language=clean.language, answered=True,
                      quotes=self.quotes[:top])

    def articles(self) -> list[Article]:
        return [Article(a.id, "", a.title, a.source, a.published, a.url) for a in self.stored]

    def article(self, article_id: str) -> Article | None:
        return next((a for a in self.stored if a.id == article_id), None)

    def sentence_spans(self, article_id: str) -> list[tuple[int, int]]:
        """What the index stores: the segmenter's sentences of the article."""
        article = self.article(article_id)
        return [(span.start, span.end) for span in split_sentences(article.text)]

    def stats(self) -> IndexStats:
        return IndexStats(articles=len(self.stored), passages=7, sentences=9, model=self.model,
                          updated=None, bytes=0, segments=1, path="fake")


class RecordingRequest(BaseRequest):
    """PTB's OfflineRequest, recording: no network; each call is kept as (method,
    parameters) and answered like the Bot API would. ``failures`` queues error
    responses per (method, chat_id)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: dict[tuple[str, int], list[tuple[int, dict[str, Any]] | Exception]] = {}
        self.message_id = 100

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE,
                         write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        self.calls.append((name, params))
        queued = self.failures.get((name, params.get("chat_id")))
        if queued:
            failure = queued.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure[0], json.dumps(failure[1]).encode()
        result: Any = True
        if name == "getMe":
            result = BOT
        elif name == "sendMessage":
            self.message_id += 1
            result = {"message_id": self.message_id, "date": int(time.time()),
                      "chat": {"id": params["chat_id"], "type": "private"}, "from": BOT,
                      "text": params["text"]}
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]


# -- fixtures and update factories ------------------------------------------------------------
@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, telegram_bot_token=TOKEN, admin_ids=[ADMIN], top=3,
                    _env_file=None)


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, engine: FakeEngine | None = None):
    """The real Application over ``engine`` (the standard FakeEngine by default)."""
    request = RecordingRequest()
    engine = engine or FakeEngine()
    application = build_application(settings, engine, BotSettings(questions_per_minute=10),
                                    request=request)
    await application.initialize()
    try:
        yield application, request, engine
    finally:
        await application.shutdown()


@pytest.fixture()
async def bot(settings: Settings):
    async with running_bot(settings) as running:
        yield running


_ids = iter(range(1, 10**6))


def user(user_id: int = 7, language: str = "en") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "U", "language_code": language}


def message_update(text: str, user_id: int = 7, chat_id: int | None = None,
                   chat_type: str = "private", language: str = "en",
                   reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
    chat_id = chat_id if chat_id is not None else user_id
    message: dict[str, Any] = {
        "message_id": next(_ids), "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": chat_type}, "from": user(user_id, language)}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split()[0])}]
    if reply_to:
        message["reply_to_message"] = reply_to
    return {"update_id": next(_ids), "message": message}


def callback_update(data: str, user_id: int = 7, chat_id: int | None = None,
                    markup: dict[str, Any] | None = None) -> dict[str, Any]:
    chat_id = chat_id if chat_id is not None else user_id
    message = {"message_id": 101, "date": int(time.time()), "text": "answer",
               "chat": {"id": chat_id, "type": "private"}, "from": BOT}
    if markup:
        message["reply_markup"] = markup
    return {"update_id": next(_ids), "callback_query": {
        "id": str(next(_ids)), "from": user(user_id), "chat_instance": "1",
        "message": message, "data": data}}


async def process(application, *updates: dict[str, Any]) -> None:
    await asyncio.gather(*(application.process_update(Update.de_json(u, application.bot))
                           for u in updates))


def buttons(params: dict[str, Any]) -> list[str]:
    return [b["callback_data"] for row in params["reply_markup"]["inline_keyboard"]
            for b in row]


# -- commands ----------------------------------------------------------------------------------
async def test_start_describes_the_corpus_in_the_users_language(bot):
    application, request, _ = bot
    await process(application, message_update("/start"))
    await process(application, message_update("/start", user_id=8, language="ar"))
    english, arabic = request.sent()
    for params in (english, arabic):
        assert params["parse_mode"] == "HTML"
        assert_within_limits(params["text"])
    assert ("3 articles from 2 outlets. 2 of them state when they were published: between "
            "2018-04-20 and 2018-05-21.") in visible(english["text"])
    assert bot_t("example_1", "en") in visible(english["text"])
    assert "عدد المقالات في الفهرس: 3" in visible(arabic["text"])
    assert bot_t("example_1", "ar") in visible(arabic["text"])


async def test_sources_pages_with_buttons(bot):
    application, request, _ = bot
    await process(application, message_update("/sources"))
    (params,) = request.sent()
    assert "Orient &lt;News&gt; &amp; Co" in params["text"]
    assert "reply_markup" not in params  # three articles: a single page


# -- questions ---------------------------------------------------------------------------------
async def test_english_question_gets_an_english_answer_with_safe_buttons(bot):
    application, request, engine = bot
    await process(application, message_update("Where was ISIS to be evacuated to?"))
    (params,) = request.sent()
    assert_within_limits(params["text"])
    assert_callback_data(params["reply_markup"])
    assert blockquotes(params["text"]) == [q.text for q in QUOTES[:3]]
    (row,) = params["reply_markup"]["inline_keyboard"]  # one light row under 3 quotes
    assert [b["text"] for b in row] == ["More", "Context", "👍", "👎"]
    assert "&lt;b&gt;convoy&lt;/b&gt;" in params["text"]  # titles are escaped too
    assert "reply_parameters" not in params  # private chat: no quoting of the question
    assert engine.questions == [("Where was ISIS to be evacuated to?", 3)]
    assert ("sendChatAction", {"chat_id": 7, "action": "typing"}) in request.calls


async def test_arabic_question_gets_an_arabic_interface(bot):
    application, request, _ = bot
    await process(application, message_update("إلى أين سيخرج تنظيم الدولة؟"))
    (params,) = request.sent()
    markup = json.dumps(params["reply_markup"], ensure_ascii=False)
    assert "السياق" in markup and "المزيد" in markup and "Context" not in markup
    assert "الرابط" in params["text"]


async def test_no_answer_and_refused_questions_say_why(bot):
    application, request, _ = bot
    await process(application, message_update("What is the weather in Paris?"))
    await process(application, message_update("😀😀🔥"))
    no_answer, no_words = request.sent()
    assert visible(no_answer["text"]) == "No answer in the indexed articles."
    assert "reply_markup" not in no_answer
    assert "no words" in visible(no_words["text"])


async def test_per_user_limit_replies_politely_once(bot):
    application, request, engine = bot
    for _ in range(12):
        await process(application, message_update("Where did the buses go?"))
    await process(application, message_update("Where did the buses go?", user_id=9))
    texts = [visible(p["text"]) for p in request.sent()]
    assert len(engine.questions) == 11  # ten for user 7, one for user 9
    assert sum("faster than I can answer" in text for text in texts) == 1
    assert len(texts) == 12


async def test_groups_answer_only_when_addressed(bot):
    application, request, engine = bot
    group = {"chat_id": -100, "chat_type": "group"}
    await process(application, message_update("where did the buses go?", **group))
    assert request.sent() == [] and engine.questions == []
    await process(application, message_update("@IsnadBot where did the buses go?", **group))
    bot_message = {"message_id": 5, "date": 1, "chat": {"id": -100, "type": "group"},
                   "from": BOT, "text": "an answer"}
    await process(application, message_update("and the fighters?", reply_to=bot_message,
                                              **group))
    await process(application, message_update("/ask@IsnadBot who negotiated?", **group))
    assert [q for q, _ in engine.questions] == [
        "where did the buses go?", "and the fighters?", "who negotiated?"]
    for params in request.sent():
        assert params["reply_parameters"]["message_id"]  # replies quote the asker


async def test_ask_without_a_question_explains_usage(bot):
    application, request, engine = bot
    await process(application, message_update("/ask"))
    assert "/ask " + bot_t("example_1", "en") in visible(request.sent()[0]["text"])
    assert engine.questions == []


# -- buttons ---------------------------------------------------------------------------------
async def test_more_shows_only_new_quotes_and_moves_the_button(bot):
    application, request, engine = bot
    await process(application, message_update("Where was ISIS to be evacuated to?"))
    answer = request.sent()[0]
    more = next(d for d in buttons(answer) if d.startswith("m:"))
    await process(application, callback_update(more, markup=answer["reply_markup"]))
    assert engine.questions[-1] == ("Where was ISIS to be evacuated to?", 6)
    follow_up = request.sent()[1]
    assert blockquotes(follow_up["text"]) == [q.text for q in QUOTES[3:]]
    assert "<b>4.</b>" in follow_up["text"]  # numbering continues
    assert "n:" + more[2:] + ":c:3:4" in buttons(follow_up)  # its own quotes' numbers
    (edited,) = request.sent("editMessageReplyMarkup")
    assert more not in json.dumps(edited["reply_markup"])
    assert "n:" + more[2:] + ":c:0:2" in json.dumps(edited["reply_markup"])  # the rest stays
    await process(application, callback_update(more))  # nothing further to show
    assert request.sent("answerCallbackQuery")[-1]["text"] == (
        "No further quotes for this question.")


async def test_context_offers_the_quote_numbers_then_replies_with_the_passage(bot):
    application, request, _ = bot
    await process(application, message_update("Where was ISIS to be evacuated to?"))
    answer = request.sent()[0]
    pick = next(d for d in buttons(answer) if d.startswith("n:") and ":c:" in d)
    await process(application, callback_update(pick, markup=answer["reply_markup"]))
    (numbers,) = request.sent("editMessageReplyMarkup")
    labels = [b["text"] for row in numbers["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Context 1", "Context 2", "Context 3", "Back"]
    context = numbers["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await process(application, callback_update(context, markup=numbers["reply_markup"]))
    reply = request.sent()[1]
    assert_within_limits(reply["text"])
    assert reply["reply_parameters"]["message_id"] == 101  # a reply to the answer
    assert blockquotes(reply["text"]) == [ARTICLES[0].text]
    assert "<b>" + QUOTES[0].text + "</b>" in reply["text"]
    restored = request.sent("editMessageReplyMarkup")[-1]["reply_markup"]
    assert restored == answer["reply_markup"]  # the light row is back, More included


async def test_back_restores_the_answer_row(bot):
    application, request, _ = bot
    await process(application, message_update("Where was ISIS to be evacuated to?"))
    answer = request.sent()[0]
    pick = next(d for d in buttons(answer) if d.startswith("n:") and ":u:" in d)
    await process(application, callback_update(pick, markup=answer["reply_markup"]))
    numbers = request.sent("editMessageReplyMarkup")[-1]["reply_markup"]
    assert [b["text"] for b in numbers["inline_keyboard"][0]] == ["👍 1", "👍 2", "👍 3"]
    back = numbers["inline_keyboard"][-1][0]["callback_data"]
    await process(application, callback_update(back, markup=numbers))
    assert request.sent("editMessageReplyMarkup")[-1]["reply_markup"] == answer["reply_markup"]


async def test_a_single_quote_message_acts_at_once(settings):
    engine = FakeEngine(quotes=QUOTES[:1])
    async with running_bot(settings, engine) as (application, request, _):
        await process(application, message_update("Where was ISIS to be evacuated to?"))
        answer = request.sent()[0]
        token = token_of(answer)
        assert buttons(answer) == [f"m:{token}", f"c:{token}:0", f"v:{token}:0:1",
                                   f"v:{token}:0:-1"]
        await process(application, callback_update(f"c:{token}:0"))
        assert blockquotes(request.sent()[1]["text"]) == [ARTICLES[0].text]


async def test_feedback_is_stored_and_can_be_changed(bot, settings):
    application, request, _ = bot
    await process(application, message_update("Where was ISIS to be evacuated to?"))
    token = token_of(request.sent()[0])
    up_first, down_first = f"v:{token}:0:1", f"v:{token}:0:-1"  # what the numbers row holds
    await process(application, callback_update(up_first))
    await process(application, callback_update(down_first, user_id=8, chat_id=7))
    await process(application, callback_update(down_first))  # user 7 changes their mind
    assert request.sent("answerCallbackQuery")[0]["text"].startswith("Thank you")
    rows = sqlite3.connect(settings.home / "bot.sqlite").execute(
        'SELECT user_id, chat_id, question, article_id, start, "end", vote FROM feedback '
        "ORDER BY user_id").fetchall()
    first = QUOTES[0]
    assert rows == [
        (7, 7, "Where was ISIS to be evacuated to?", first.article_id, first.start, first.end,
         -1),
        (8, 7, "Where was ISIS to be evacuated to?", first.article_id, first.start, first.end,
         -1),
    ]


async def test_unknown_or_expired_buttons_are_answered(bot):
    application, request, _ = bot
    await process(application, callback_update("c:nosuchtk:0"), callback_update("zzz"))
    answers = request.sent("answerCallbackQuery")
    assert len(answers) == 2 and all("too old" in a["text"] for a in answers)


# -- failures ------------------------------------------------------------------------------------
async def test_a_blocked_chat_does_not_stop_other_answers(bot, caplog):
    application, request, _ = bot
    forbidden = (403, {"ok": False, "error_code": 403,
                       "description": "Forbidden: bot was blocked by the user"})
    request.failures[("sendMessage", 11)] = [forbidden]
    with caplog.at_level(logging.INFO):
        await process(application, message_update("Where did they go?", user_id=11),
                      message_update("Where did they go?", user_id=12))
    assert [p["chat_id"] for p in request.sent()] == [11, 12]  # 11 refused, 12 answered
    assert "blocked the bot" in caplog.text
    assert "error" not in [r.levelname.lower() for r in caplog.records]


async def test_retry_after_and_time_outs_are_retried(bot):
    from telegram.error import TimedOut

    application, request, _ = bot
    request.failures[("sendMessage", 13)] = [
        (429, {"ok": False, "error_code": 429, "description": "Too Many Requests",
               "parameters": {"retry_after": 1}})]
    request.failures[("sendMessage", 14)] = [TimedOut("slow network")]
    started = time.monotonic()
    await process(application, message_update("Where did they go?", user_id=13),
                  message_update("Where did they go?", user_id=14))
    assert [p["chat_id"] for p in request.sent()].count(13) == 2
    assert [p["chat_id"] for p in request.sent()].count(14) == 2
    assert time.monotonic() - started >= 1  # waited as Telegram asked


async def test_an_error_is_logged_and_the_user_gets_an_apology(bot, caplog):
    application, request, _ = bot
    with caplog.at_level(logging.ERROR):
        await process(application, message_update("boom?", language="ar"))
    assert "engine failure" in caplog.text
    (params,) = request.sent()
    assert visible(params["text"]).startswith("عذراً")


# -- inline mode -------------------------------------------------------------------------------
async def test_inline_query_returns_quotes_as_articles(bot):
    application, request, engine = bot
    update = {"update_id": next(_ids), "inline_query": {
        "id": "q1", "from": user(), "query": "Where was ISIS to be evacuated to?",
        "offset": ""}}
    await process(application, update)
    (params,) = request.sent("answerInlineQuery")
    assert engine.questions == [("Where was ISIS to be evacuated to?", 10)]
    assert 1 <= len(params["results"]) <= 50
    for result in params["results"]:
        assert result["type"] == "article"
        content = result["input_message_content"]
        assert content["parse_mode"] == "HTML"
        assert_within_limits(content["message_text"])
    assert blockquotes(params["results"][0]["input_message_content"]["message_text"]) == [
        QUOTES[0].text]


# -- maintainers -------------------------------------------------------------------------------
async def test_non_admins_are_refused_and_nothing_runs(bot, monkeypatch):
    application, request, _ = bot
    ran = []
    monkeypatch.setattr(admin, "reindex", lambda *a, **k: ran.append(a) or "done")
    await process(application, message_update("/reindex"), message_update("/stats"))
    assert ran == []
    assert all("maintainers" in visible(p["text"]) for p in request.sent())


async def test_admin_stats_and_reindex(bot, monkeypatch):
    application, request, _ = bot
    await process(application, message_update("Where did they go?", user_id=ADMIN))
    await process(application, message_update("What is the weather?", user_id=ADMIN))
    new_engine = FakeEngine()
    monkeypatch.setattr(admin, "reindex", lambda settings, language: "rebuilt 3 articles")

    async def swap(state) -> bool:  # what bot/reload.py does once a new version exists
        state.swap_engine(new_engine)
        return True

    monkeypatch.setattr(admin, "reload_if_changed", swap)
    await process(application, message_update("/stats", user_id=ADMIN))
    stats = visible(request.sent()[-1]["text"])
    assert "Articles: 3" in stats and "Passages: 7" in stats
    assert "Questions: 2 (1 answered with quotes)" in stats and "👍 0 · 👎 0" in stats
    await process(application, message_update("/reindex", user_id=ADMIN))
    assert visible(request.sent()[-1]["text"]) == "rebuilt 3 articles"
    assert application.bot_data[KEY].engine is new_engine


def test_reindex_reports_an_empty_corpus(settings, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    settings = settings.model_copy(update={"corpus": [empty]})
    assert "No readable articles" in admin.reindex(settings)


# -- start-up and the token -----------------------------------------------------------------------
def test_missing_token_is_one_line_and_exit_2(tmp_path, capsys):
    settings = Settings(home=tmp_path, telegram_bot_token=None, _env_file=None)
    assert run_bot(settings) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TELEGRAM_BOT_TOKEN" in err and "@BotFather" in err


def test_token_is_redacted_from_logs_and_tracebacks():
    redact = RedactToken(TOKEN)
    try:
        raise ValueError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
    except ValueError:
        import sys

        record = logging.LogRecord("httpx", logging.DEBUG, __file__, 1, "HTTP Request: %s %s",
                                   ("POST", f"https://x/bot{TOKEN.replace(':', '%3A')}/getMe"),
                                   sys.exc_info())
    redact.filter(record)
    formatted = logging.Formatter().format(record)
    assert TOKEN not in formatted and "123456%3ATEST" not in formatted
    assert "bot<token>/getMe" in formatted


def test_base_url_accepts_a_server_root_or_a_bot_prefix():
    assert api_urls("http://127.0.0.1:8081") == ("http://127.0.0.1:8081/bot",
                                                 "http://127.0.0.1:8081/file/bot")
    assert api_urls("http://127.0.0.1:8081/bot/") == api_urls("http://127.0.0.1:8081")


# -- hostile input (issue 16) ---------------------------------------------------------------
SENTENCES = ("A first line about the convoy. The convoy reached the camp at dawn. "
             "Nobody confirmed it.")
HUGE = Article(id="huge-" + "x" * 120, source="S" * 3000, title="عنوان " * 1000,
               published="2018-05-21" + "9" * 500, url="https://example.org/" + "a" * 5000,
               text=SENTENCES)
HUGE_NO_URL = Article(id="huge-no-url", source="Outlet " * 500, title="T" * 6000,
                      published=None, url=None, text=SENTENCES)


def token_of(params: dict[str, Any]) -> str:
    """The answer's token, from its More button."""
    return next(d for d in buttons(params) if d.startswith("m:")).split(":")[1]


def inline_callback_update(data: str, user_id: int = 7) -> dict[str, Any]:
    """A button of a message sent through inline mode: Telegram sends no message."""
    return {"update_id": next(_ids), "callback_query": {
        "id": str(next(_ids)), "from": user(user_id), "chat_instance": "9",
        "inline_message_id": "AAAAAQ", "data": data}}


async def test_huge_metadata_never_makes_a_message_over_the_limit(settings):
    quotes = [quote(HUGE, "The convoy reached the camp at dawn."),
              quote(HUGE_NO_URL, "The convoy reached the camp at dawn.")]
    engine = FakeEngine([HUGE, HUGE_NO_URL], quotes)
    async with running_bot(settings, engine) as (application, request, _):
        await process(application, message_update("Where did the convoy go?"))
        answer = request.sent()
        token = token_of(answer[-1])
        await process(application, callback_update(f"c:{token}:0"),
                      callback_update(f"c:{token}:1"))
        await process(application, message_update("/sources"))
        await process(application, {"update_id": next(_ids), "inline_query": {
            "id": "q2", "from": user(), "query": "Where did the convoy go?", "offset": ""}})
        sent = request.sent()
        (inline,) = request.sent("answerInlineQuery")
    assert len(sent) == len(answer) + 3  # the answer, two contexts, /sources
    for params in sent:
        assert_within_limits(params["text"])
    for result in inline["results"]:
        assert_within_limits(result["input_message_content"]["message_text"])
    shown = [q for part in answer for q in blockquotes(part["text"])]
    assert shown == [q.text for q in quotes]  # the quotes stay whole


async def test_sources_pages_show_every_article_exactly_once(settings):
    many = [Article(id=f"a{i:02d}", text="Some text.", source="SY24",
                    title=f"{i:02d} " + "عنوان طويل جداً " * 40) for i in range(25)]
    async with running_bot(settings, FakeEngine(many, [])) as (application, request, _):
        await process(application, message_update("/sources"))
        pages = [request.sent()[0]]
        while next_page := [d for d in buttons(pages[-1]) if d.startswith("s:")
                            and int(d[2:]) == len(pages)]:
            await process(application, callback_update(next_page[0]))
            pages.append(request.sent("editMessageText")[-1])
            assert len(pages) < 30
    shown = []
    for page in pages:
        assert_within_limits(page["text"])
        shown += [int(n) for n in re.findall(r"^(\d+)\. ", visible(page["text"]), re.M)]
    assert shown == list(range(1, 26))


async def test_buttons_work_only_in_the_chat_of_their_answer(bot, settings):
    application, request, engine = bot
    await process(application, message_update("Where was ISIS to be evacuated to?"))
    token = token_of(request.sent()[0])
    for data in (f"m:{token}", f"c:{token}:0", f"v:{token}:0:1"):
        await process(application, callback_update(data, user_id=8))  # from chat 8
    assert [p["chat_id"] for p in request.sent()] == [7]  # nothing reached chat 8
    assert len(engine.questions) == 1  # "More" did not ask again
    alerts = request.sent("answerCallbackQuery")
    assert len(alerts) == 3 and all("only in the chat" in a["text"] for a in alerts)
    with sqlite3.connect(settings.home / "bot.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0


async def test_a_button_without_a_message_gets_an_answer_not_an_error(bot, caplog):
    application, request, engine = bot
    await process(application, message_update("Where was ISIS to be evacuated to?"))
    token = token_of(request.sent()[0])
    with caplog.at_level(logging.INFO):
        for data in (f"m:{token}", f"c:{token}:0", f"v:{token}:0:1"):
            await process(application, inline_callback_update(data))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    alerts = request.sent("answerCallbackQuery")
    assert len(alerts) == 3 and all("only in the chat" in a["text"] for a in alerts)
    assert len(request.sent()) == 1 and len(engine.questions) == 1


def modes(*paths: Path) -> list[int]:
    return [p.stat().st_mode & 0o777 for p in paths]


async def test_bot_state_is_readable_by_its_owner_only(tmp_path):
    umask = os.umask(0o022)  # the usual default, under which files are world-readable
    try:
        home = tmp_path / "new" / "home"
        settings = Settings(home=home, telegram_bot_token=TOKEN, _env_file=None)
        async with running_bot(settings) as (application, request, _):
            await process(application, message_update("Where did they go?"))
            await process(application, callback_update(f"v:{token_of(request.sent()[0])}:0:1"))
            files = [home / "bot.sqlite"] + [p for p in (home / "bot.sqlite-wal",
                                                         home / "bot.sqlite-shm") if p.exists()]
            assert modes(home, *files) == [0o700] + [0o600] * len(files)
        older = tmp_path / "older"  # a file an earlier version left world-readable
        older.mkdir()
        sqlite3.connect(older / "bot.sqlite").close()
        (older / "bot.sqlite").chmod(0o644)
        settings = Settings(home=older, telegram_bot_token=TOKEN, _env_file=None)
        async with running_bot(settings):
            assert modes(older / "bot.sqlite") == [0o600]
    finally:
        os.umask(umask)


def test_a_password_in_the_base_url_never_shows(tmp_path, capsys):
    settings = Settings(home=tmp_path, telegram_bot_token=TOKEN, _env_file=None,
                        telegram_base_url="http://isnad:pa55-word@127.0.0.1:9")
    assert run_bot(settings) == 1  # nothing listens on port 9
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "127.0.0.1:9" in err
    assert "pa55-word" not in err


@pytest.mark.parametrize("token", ["123456:abc/def", "123456:abc?x=1", "123456:abc#frag",
                                   "123456:abc def"])
def test_a_token_with_url_characters_is_bad_input(tmp_path, capsys, token):
    settings = Settings(home=tmp_path, telegram_bot_token=token, _env_file=None,
                        telegram_base_url="http://127.0.0.1:9")
    assert run_bot(settings) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TELEGRAM_BOT_TOKEN" in err and token not in err


# -- /article, deep links, /help and /forget ---------------------------------------------------
async def test_an_attribution_without_url_links_to_the_article(bot):
    application, request, _ = bot
    await process(application, message_update("Where was ISIS to be evacuated to?"))
    text = request.sent()[0]["text"]
    assert 'href="https://t.me/IsnadBot?start=article_souria"' in text  # no url: a deep link
    assert 'href="https://example.org/sy24"' in text  # a url: the url
    await process(application, message_update("/start article_souria"))
    page = request.sent()[-1]
    assert blockquotes(page["text"]) == [ARTICLES[2].text]
    assert "page 1 of 1" in visible(page["text"])
    assert "reply_markup" not in page  # one page: no buttons


async def test_article_pages_turn_in_place_and_stay_verbatim(settings):
    text = " ".join(f"Sentence number {i} about the convoy & <the> buses." for i in range(400))
    long = Article(id="long:one.2", text=text, title="Long", source="SY24")
    async with running_bot(settings, FakeEngine([long], [])) as (application, request, _):
        await process(application, message_update("/article long:one.2"))
        pages = [request.sent()[0]]
        while nxt := [d for d in buttons(pages[-1]) if d.startswith("a:")
                      and d.split(":")[1] == str(len(pages))]:
            await process(application, callback_update(nxt[0]))
            pages.append(request.sent("editMessageText")[-1])
            assert len(pages) < 20
    assert len(pages) > 2
    for page in pages:
        assert_within_limits(page["text"])
        assert_callback_data(page["reply_markup"])
    assert "".join(blockquotes(p["text"])[0] for p in pages) == text


async def test_article_refuses_bad_or_unknown_ids_in_one_line(bot):
    application, request, _ = bot
    await process(application, message_update("/article"))
    await process(application, message_update("/article nosuch-id"))
    await process(application, message_update("/article " + "<b>" * 3000))
    await process(application, message_update("/start article64_%%%"))
    usage, unknown, bad, bad_link = (visible(p["text"]) for p in request.sent())
    assert usage.startswith("Write the article's id after the command")
    assert unknown == "No indexed article has the id nosuch-id: /sources lists them."
    assert bad.startswith("That is not an article id") and "<b>" not in bad
    assert bad_link == bad
    await process(application, callback_update("a:1:nosuchkey123"))
    assert "no longer in the index" in request.sent("answerCallbackQuery")[-1]["text"]


async def test_help_says_what_is_stored_and_how_to_delete_it(bot):
    application, request, _ = bot
    await process(application, message_update("/help"))
    await process(application, message_update("/help", user_id=8, language="ar"))
    english, arabic = (visible(p["text"]) for p in request.sent())
    assert "the text of your questions and your chat id, for 30 days" in english
    assert "votes with your user id" in english and "/forget deletes" in english
    assert "30 يوماً" in arabic and "/forget" in arabic


async def test_forget_deletes_the_askers_questions_and_votes(bot, settings):
    application, request, _ = bot
    group = {"chat_id": -100, "chat_type": "group"}
    await process(application, message_update("Where did they go?"))
    await process(application, message_update("/ask who negotiated?", **group))
    await process(application, message_update("/ask and then?", user_id=9, **group))
    mine, in_group, theirs = (token_of(p) for p in request.sent())
    await process(application, callback_update(f"v:{mine}:0:1"))
    await process(application, callback_update(f"v:{theirs}:0:1", chat_id=-100))
    await process(application, message_update("/forget"))
    assert visible(request.sent()[-1]["text"]).startswith(
        "Deleted what Isnad stored about you: questions 2, votes 2.")
    for token in (mine, in_group):
        await process(application, callback_update(f"c:{token}:0"))
        assert "too old" in request.sent("answerCallbackQuery")[-1]["text"]
    with sqlite3.connect(settings.home / "bot.sqlite") as db:
        assert db.execute("SELECT user_id FROM answers").fetchall() == [(9,)]
        assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0
