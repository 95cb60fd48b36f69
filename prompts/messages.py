"""Every sentence Isnad says to a person, in Arabic and English.

Keeping them here (not in the code that decides *when* to say them) lets a translator
or editor change wording without touching logic, and keeps both languages in step.
A count that meets a noun is written ``{count|word}`` (see plurals.py).
"""

from __future__ import annotations

from .plurals import fill

MESSAGES: dict[str, dict[str, str]] = {
    "no_answer": {
        "en": "No answer in the indexed articles.",
        "ar": "لا توجد إجابة في المقالات المفهرسة.",
    },
    "other_language": {
        "en": "Isnad understands Arabic and English best; answering anyway.",
        "ar": "يفهم إسناد العربية والإنجليزية أفضل من غيرهما؛ إليك أقرب ما وجدناه.",
    },
    "empty_question": {
        "en": "The question is empty: type a question about the news.",
        "ar": "السؤال فارغ: اكتب سؤالاً عن الأخبار.",
    },
    "no_words": {
        "en": "The question has no words, only symbols: ask it in words.",
        "ar": "السؤال لا يحتوي على كلمات، بل رموز فقط: اكتبه بالكلمات.",
    },
    "question_too_long": {
        "en": "The question is too long ({length|characters}; the limit is {limit}): "
              "ask it in a sentence or two.",
        "ar": "السؤال طويل جداً ({length|characters}، والحد {limit}): اختصره في جملة أو جملتين.",
    },
    "article": {"en": "article", "ar": "المقال"},
    "untitled": {"en": "(untitled)", "ar": "(بلا عنوان)"},
    "unknown_source": {"en": "outlet not stated", "ar": "المصدر غير مذكور"},
    "chat_intro": {
        "en": "Isnad — ask about the indexed Arabic news, in Arabic or English. "
              "Empty line or Ctrl-D to quit.",
        "ar": "إسناد — اسأل عن الأخبار المفهرسة بالعربية أو الإنجليزية. سطر فارغ أو Ctrl-D للخروج.",
    },
}


def t(key: str, language: str = "en", **params: object) -> str:
    """The message ``key`` in ``language`` (Arabic for "ar", English otherwise)."""
    entry = MESSAGES[key]
    return fill(entry["ar"] if language == "ar" else entry["en"], language, params)
