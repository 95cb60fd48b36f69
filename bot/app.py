"""Building and running the bot: ``build_application`` registers the handlers,
``run_bot`` checks the token, opens the engine and polls (or serves a webhook).

The token is a password: it is never printed, and a logging filter removes it from
every log record (PTB and httpx put it in request URLs at DEBUG level).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import sys
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlsplit

from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from isnad.app import open_engine
from isnad.embeddings import EncoderError
from isnad.prompts.bot import bot_t
from isnad.redact import shown_url, url_secrets
from isnad.retrieval import Engine, IndexProblem
from isnad.settings import Settings

from . import admin, handlers
from .config import BotSettings
from .deeplinks import ENCODED, PLAIN
from .keyboards import ARTICLE, BACK, CONTEXT, MORE, PICK, SOURCES, VOTE
from .reload import start_following, stop_following
from .state import KEY, BotState
from .store import BotStoreError, open_bot_store

logger = logging.getLogger(__name__)

#: Retries of a request Telegram answered with "429 Too Many Requests"; the limiter
#: waits the time Telegram asks for first.
RATE_LIMIT_RETRIES = 3


# -- keeping the token out of logs ----------
class RedactToken(logging.Filter):
    """Replaces the bot token (and any other secret given) in a record's message and
    traceback with ``<token>``, also in its URL-encoded form.

    Installed on the handlers (not on loggers): a handler filter sees the records of
    every logger, including httpx and telegram.*, whatever their level."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        variants = {v for s in secrets if s for v in (s, quote(s, safe=""))}
        self.secrets = sorted(variants, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(*secrets: str) -> RedactToken:
    """INFO by default, DEBUG with ISNAD_DEBUG=1; httpx's per-request lines only at DEBUG
    (as PTB's examples do). ``secrets`` (the token, the webhook secret) never show."""
    debug = bool(os.environ.get("ISNAD_DEBUG"))
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=logging.DEBUG if debug else logging.INFO)
    logging.getLogger("httpx").setLevel(logging.DEBUG if debug else logging.WARNING)
    # FAISS says which CPU build it loaded, at INFO, when the index first opens.
    logging.getLogger("faiss.loader").setLevel(logging.DEBUG if debug else logging.WARNING)
    redactor = RedactToken(*secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    return redactor


# -- the application ----------
#: What BotFather hands out: the bot's id, a colon, then URL-safe characters. Anything
#: else (a "/", "?" or "#" above all) would change the request URL it is put in.
TOKEN_FORMAT = re.compile(r"\d+:[A-Za-z0-9_-]+")


def bot_token(settings: Settings) -> str:
    """The token without the stray spaces or newline a copy and paste leaves."""
    token = settings.telegram_bot_token
    return token.get_secret_value().strip() if token else ""


def api_urls(base_url: str) -> tuple[str, str]:
    """PTB's ``base_url``/``base_file_url`` for a Bot API server given by its root
    (``http://127.0.0.1:8081``); a value already ending in ``/bot`` is kept."""
    root = base_url.rstrip("/")
    if "{token}" in root:
        return root, root.replace("/bot", "/file/bot", 1)
    root = root.removesuffix("/bot")
    return root + "/bot", root + "/file/bot"


async def post_init(application: Application) -> None:
    """The command menu, in English and (for Arabic apps) in Arabic. Cosmetic: a Bot
    API server without setMyCommands must not stop the bot."""
    for language in ("en", "ar"):
        commands = [BotCommand(name, bot_t(f"command_{name}", language))
                    for name in ("start", "help", "sources", "article", "ask", "forget")]
        try:
            await application.bot.set_my_commands(
                commands, language_code=None if language == "en" else language)
        except TelegramError as exc:
            logger.warning("could not set the command menu (%s): %s", language, exc)
    await start_following(application)


async def post_shutdown(application: Application) -> None:
    await stop_following(application)
    state: BotState = application.bot_data[KEY]
    state.executor.shutdown(wait=False, cancel_futures=True)
    state.store.close()


def build_application(settings: Settings, engine: Engine,
                      bot_settings: BotSettings | None = None,
                      base_url: str | None = None,
                      request: BaseRequest | None = None) -> Application:
    """The Application with every handler registered. ``request`` replaces the HTTP
    layer (tests pass one that records calls and answers with canned JSON)."""
    bot_settings = bot_settings or BotSettings()
    builder = (
        Application.builder()
        .token(bot_token(settings))
        .defaults(Defaults(parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        # Each update is its own task: one slow answer never holds up another chat.
        .concurrent_updates(True)
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    base_url = base_url or settings.telegram_base_url
    if base_url:
        api, files = api_urls(base_url)
        builder = builder.base_url(api).base_file_url(files)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()

    store = open_bot_store(settings)
    application.bot_data[KEY] = BotState(
        settings=settings,
        bot_settings=bot_settings,
        engine=engine,
        store=store,
        limiter=store.limiter(bot_settings.questions_per_minute),
        inline_limiter=store.limiter(bot_settings.questions_per_minute * 3, name="inline"),
        executor=ThreadPoolExecutor(bot_settings.workers, thread_name_prefix="isnad-engine"),
    )

    # A deep link from an attribution: "/start article_<id>" (as in PTB's deeplinking.py).
    application.add_handler(CommandHandler(
        "start", handlers.start_article, filters.Regex(f"^/start ({PLAIN}|{ENCODED})")))
    application.add_handler(CommandHandler("start", handlers.start))
    application.add_handler(CommandHandler("help", handlers.help_command))
    application.add_handler(CommandHandler("sources", handlers.sources))
    application.add_handler(CommandHandler("article", handlers.article_command))
    application.add_handler(CommandHandler("ask", handlers.ask_command))
    application.add_handler(CommandHandler("forget", handlers.forget))
    application.add_handler(CommandHandler("stats", admin.stats_command))
    application.add_handler(CommandHandler("reindex", admin.reindex_command))
    application.add_handler(MessageHandler(
        filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, handlers.private_question))
    application.add_handler(MessageHandler(
        filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, handlers.group_message))
    application.add_handler(MessageHandler(
        filters.ChatType.PRIVATE & filters.COMMAND, handlers.help_command))  # unknown commands
    application.add_handler(InlineQueryHandler(handlers.inline_query))
    application.add_handler(CallbackQueryHandler(handlers.more_button, pattern=f"^{MORE}:"))
    application.add_handler(CallbackQueryHandler(handlers.context_button,
                                                 pattern=f"^{CONTEXT}:"))
    application.add_handler(CallbackQueryHandler(handlers.vote_button, pattern=f"^{VOTE}:"))
    application.add_handler(CallbackQueryHandler(handlers.pick_button, pattern=f"^{PICK}:"))
    application.add_handler(CallbackQueryHandler(handlers.back_button, pattern=f"^{BACK}:"))
    application.add_handler(CallbackQueryHandler(handlers.sources_button,
                                                 pattern=f"^{SOURCES}:"))
    application.add_handler(CallbackQueryHandler(handlers.article_button,
                                                 pattern=f"^{ARTICLE}:"))
    application.add_handler(CallbackQueryHandler(handlers.unknown_button))
    application.add_error_handler(handlers.error_handler)
    return application


# -- running ----------
def _fail(message: str) -> None:
    print(f"isnad: {message}", file=sys.stderr)


async def check_token(token: str, base_url: str | None) -> None:
    """getMe (what ``Bot.initialize`` calls) before the slower engine loads, so a bad
    token fails in a second; raises InvalidToken or NetworkError."""
    if base_url:
        api, files = api_urls(base_url)
        bot = Bot(token, base_url=api, base_file_url=files)
    else:
        bot = Bot(token)
    async with bot:
        pass


def run_bot(settings: Settings, webhook_url: str | None = None,
            webhook_secret: str | None = None, listen: str = "0.0.0.0", port: int = 8443,
            base_url: str | None = None) -> int:
    """Run until stopped (Ctrl-C, SIGTERM); the exit code: 0 after a clean stop, 2 for a
    missing or rejected token, 1 when the Bot API or the index cannot be used. Errors
    are one line on stderr, never a traceback (which could carry the token)."""
    token = bot_token(settings)
    if not token:
        _fail("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather on Telegram and "
              "export the token it gives you")
        return 2
    if not TOKEN_FORMAT.fullmatch(token):
        _fail("TELEGRAM_BOT_TOKEN is not a bot token (digits, a colon, then letters, digits, "
              "_ and -): copy it again from @BotFather (/mybots → API Token)")
        return 2
    base_url = base_url or settings.telegram_base_url
    where = shown_url(base_url) if base_url else "https://api.telegram.org"
    # Telegram sends the webhook secret in a header with every update, and PTB's webhook
    # server refuses anything without it. A random one is fine: set_webhook tells
    # Telegram the new one at every start.
    secret = (webhook_secret or secrets.token_urlsafe(32)) if webhook_url else None
    database = settings.database()  # its password, if any, never shows either
    redactor = configure_logging(token, *([secret] if secret else []), *url_secrets(base_url),
                                 *(database.secrets if database else []))

    # One loop for the check and for PTB's run_* (which reuses the current loop).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(check_token(token, base_url))
        engine = open_engine(settings, progress=False)
        application = build_application(settings, engine, base_url=base_url)
        logger.info("Isnad bot started: %d articles indexed with %s; %s",
                    engine.stats().articles, engine.model,
                    f"webhook {webhook_url}" if webhook_url else "long polling")
        if webhook_url:
            application.run_webhook(
                listen=listen, port=port, url_path=urlsplit(webhook_url).path.lstrip("/"),
                webhook_url=webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        _fail(f"the Bot API at {where} rejected the token in TELEGRAM_BOT_TOKEN: copy it "
              "again from @BotFather (/mybots → API Token)")
        return 2
    except NetworkError as exc:
        _fail(f"cannot reach the Bot API at {where}: {redactor.redact(str(exc))[:300]}")
        return 1
    except (IndexProblem, EncoderError, BotStoreError) as exc:
        _fail(str(exc))
        return 1
    except Exception as exc:
        logger.exception("the bot stopped on an unexpected error")
        _fail("the bot stopped on an unexpected error: "
              + redactor.redact(f"{type(exc).__name__}: {exc}")[:300])
        return 1
    return 0
