"""`isnad chat`: questions one after another on one loaded engine, with the bot's
More and Context as commands (:more, :context N).

On a terminal the line is edited with readline (arrow keys, Ctrl-R) and earlier
questions come back from ``ISNAD_HOME/chat-history``; from a pipe, each line is read
as it comes and nothing is recorded.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from isnad.prompts import t
from isnad.retrieval import Engine, QuestionError, Quote

from .private import private_dir
from .render import render_answer, render_context, render_quotes, ui_language

HISTORY_LINES = 1000
MAX_CONTEXT_SENTENCES = 10


def _key(quote: Quote) -> tuple[str, int, int]:
    return quote.article_id, quote.start, quote.end


class Chat:
    """What one line typed in the chat prints."""

    def __init__(self, engine: Engine, top: int, terminal: bool) -> None:
        self.engine, self.top, self.terminal = engine, top, terminal
        self.question: str | None = None
        self.language = "en"  # of the last question, for the chat's own messages
        self.shown: list[Quote] = []

    def reply(self, line: str) -> str:
        if not line.startswith(":"):
            return self.ask(line)
        command, *arguments = line[1:].split() or [""]
        if command in {"more", "m"}:
            return self.more()
        if command in {"context", "c"}:
            return self.context(arguments)
        if command in {"help", "h", "?"}:
            return t("chat_help", self.language)
        return t("chat_unknown_command", self.language, command=":" + command)

    def ask(self, question: str) -> str:
        try:
            answer = self.engine.ask(question, top=self.top)
        except QuestionError as exc:
            return t(exc.key, exc.language, **exc.params)
        self.question, self.language = question, ui_language(answer.language)
        self.shown = list(answer.quotes)
        return render_answer(answer, self.terminal)

    def more(self) -> str:
        """The next quotes: ask again for more and show only those not shown yet."""
        if self.question is None:
            return t("chat_nothing_yet", self.language)
        answer = self.engine.ask(self.question, top=len(self.shown) + self.top)
        seen = {_key(q) for q in self.shown}
        new = [q for q in answer.quotes if _key(q) not in seen]
        if not new:
            return t("chat_no_more", self.language)
        first = len(self.shown) + 1
        self.shown += new
        return render_quotes(new, self.language, self.terminal, first_number=first)

    def context(self, arguments: list[str]) -> str:
        """Quote N inside the sentences the index stored around it."""
        if not self.shown:
            return t("chat_nothing_yet", self.language)
        if not 1 <= len(arguments) <= 2 or not all(a.isdigit() for a in arguments):
            return t("chat_context_usage", self.language)
        number = int(arguments[0])
        each_side = min(int(arguments[1]) if len(arguments) == 2 else 1,
                        MAX_CONTEXT_SENTENCES)
        if not 1 <= number <= len(self.shown):
            return t("chat_no_such_quote", self.language, number=number, count=len(self.shown))
        quote = self.shown[number - 1]
        article = self.engine.article(quote.article_id)
        if article is None or article.text[quote.start:quote.end] != quote.text:
            return t("chat_article_changed", self.language)
        start, end = self.engine.context_span(article.id, quote.start, quote.end, each_side)
        text = article.text
        body = render_context(text[start:quote.start], quote.text, text[quote.end:end],
                              self.terminal)
        return (t("chat_context_title", self.language, number=number) + "\n" + body)


@contextlib.contextmanager
def line_editing(history: Path) -> Iterator[None]:
    """readline for input(), with the history file read before and written after."""
    try:
        import readline
    except ImportError:  # no readline on this platform: plain input() still works
        yield
        return
    readline.set_history_length(HISTORY_LINES)
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            private_dir(history.parent)
            readline.write_history_file(history)
            os.chmod(history, 0o600)  # questions are the asker's own business


def run_chat(chat: Chat, history: Path, echo: Callable[[str], None]) -> None:
    """Read lines until an empty one, :quit, Ctrl-D or Ctrl-C."""
    interactive = sys.stdin.isatty()
    editing = line_editing(history) if interactive else contextlib.nullcontext()
    with editing:
        while True:
            try:
                echo("")
                # A prompt is for a person; lines from a pipe get answers only.
                line = input("? " if interactive else "").strip()
            except (EOFError, KeyboardInterrupt):
                echo("")
                return
            if not line or line in {":quit", ":q", ":exit"}:
                return
            echo(chat.reply(line))
