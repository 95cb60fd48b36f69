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
    if raw is None or not raw.strip():
        raise QuestionError("empty_question")
    language = detect_language(raw[:2000])
    ui = "ar" if language == "ar" else "en"
    if len(raw) > max_chars * 4 or len(clean_question(raw[: max_chars * 4])) > max_chars:
        raise QuestionError("question_too_long", ui, limit=max_chars, length=len(raw))
    text = clean_question(raw)
    if not text:
        raise QuestionError("empty_question", ui)
    if not _WORD.search(text):
        raise QuestionError("no_words", ui)
    return Question(text=text, language=detect_language(text))
