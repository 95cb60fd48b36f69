"""Shared by the bot's unit and end-to-end tests: checks of what the bot sent against
Telegram's limits, which neither the offline request nor the emulator enforce."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_STRAY_LT = re.compile(r"<(?!/?(?:b|i|a|code|blockquote)[ >])")

#: The tags Telegram's HTML parse mode accepts that the bot may use.
ALLOWED_TAGS = {"b", "i", "a", "code", "blockquote"}
MARKS = "\u200e\u200f\u2068\u2069"


class TagChecker(HTMLParser):
    """Collects problems with a message's HTML: unknown tags, unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}> is not allowed")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_problems(text: str) -> list[str]:
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    problems = list(checker.problems)
    if checker.stack:
        problems.append(f"unclosed tags {checker.stack}")
    for stray in _STRAY_LT.finditer(text):  # Telegram rejects a "<" that opens no tag
        problems.append(f"unescaped '<' at {stray.start()}")
    return problems


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible(text: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, direction marks removed."""
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    return "".join(checker.text).translate({ord(c): None for c in MARKS})


def blockquotes(text: str) -> list[str]:
    """The contents of each <blockquote> of a message, as a reader sees them."""
    found = []
    rest = text
    while "<blockquote>" in rest:
        start = rest.index("<blockquote>") + len("<blockquote>")
        end = rest.index("</blockquote>", start)
        found.append(visible(rest[start:end]))
        rest = rest[end:]
    return found


def assert_within_limits(text: str) -> None:
    assert utf16_len(text) <= 4096, f"message of {utf16_len(text)} UTF-16 units"
    assert not html_problems(text), html_problems(text)


def assert_callback_data(reply_markup: dict | None) -> None:
    for row in (reply_markup or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None:
                assert 1 <= len(data.encode("utf-8")) <= 64, data


def unescape(text: str) -> str:
    return html.unescape(text)
