"""From whatever a person typed to a clean question with a language.

Input arrives from terminals and chats: it may hold HTML, control or bidi-override
characters, emoji, or nothing at all. Invisible and markup characters are removed
(they change nothing a reader meant); anything that leaves no question is refused
with a reason the asker can act on.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from .language import detect_language

__all__ = ["Question", "QuestionError", "clean_question", "detect_language",
           "prepare_question"]

# Bidi embeddings/overrides/isolates and other invisible format characters; ZWNJ/ZWJ
# (U+200C/D) are kept out too: they only shape letters, never change words.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_TAG = re.compile(r"<[^>\n]{0,200}>")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]", re.UNICODE)


class QuestionError(ValueError):
    """A question that cannot be asked; ``key`` names the message in prompts/."""

    def __init__(self, key: str, language: str = "en", **params: object) -> None:
        super().__init__(key)
        self.key, self.language, self.params = key, language, params


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    language: str  # "ar", "en" or "other"


def clean_question(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw)
    text = _TAG.sub(" ", html.unescape(text))
    text = _INVISIBLE.sub("", text)
    text = "".join(" " if unicodedata.category(c) in {"Cc", "Cs", "Co", "Cn"} else c
                   for c in text)
    return _SPACES.sub(" ", text).strip()


def prepare_question(raw: str, max_chars: int = 1000) -> Question:
    """The clean question and its language, each worked out once; a refusal's message
    is in the language of what was typed (detected only then)."""
    if raw is None or not raw.strip():
        raise QuestionError("empty_question")

    def refuse(key: str, **params: object) -> QuestionError:
        typed = detect_language(raw[:2000])
        return QuestionError(key, "ar" if typed == "ar" else "en", **params)

    # Over four times the limit, whatever markup it holds, it is no question: refused
    # before any cleaning (linear, but not free on megabytes pasted into a chat).
    if len(raw) > max_chars * 4:
        raise refuse("question_too_long", limit=max_chars, length=len(raw))
    text = clean_question(raw)
    if len(text) > max_chars:
        raise refuse("question_too_long", limit=max_chars, length=len(raw))
    if not text:
        raise refuse("empty_question")
    if not _WORD.search(text):
        raise refuse("no_words")
    return Question(text=text, language=detect_language(text))
