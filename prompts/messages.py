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
              ":help lists the commands; an empty line or Ctrl-D quits.",
        "ar": "إسناد — اسأل عن الأخبار المفهرسة بالعربية أو الإنجليزية. "
              "الأوامر في :help، وسطر فارغ أو Ctrl-D للخروج.",
    },
    "chat_help": {
        "en": "Type a question, or:\n"
              "  :more       further quotes for the last question\n"
              "  :context N  quote N with the sentences around it (:context N 2: two each side)\n"
              "  :help       this list\n"
              "  :quit       leave (or an empty line, or Ctrl-D)\n"
              "Arrow keys edit the line and go back through earlier questions.",
        "ar": "اكتب سؤالاً، أو أحد الأوامر:\n"
              "  :more       اقتباسات أخرى للسؤال الأخير\n"
              "  :context N  الاقتباس رقم N مع الجمل المحيطة به (:context N 2: جملتان من كل جهة)\n"
              "  :help       هذه القائمة\n"
              "  :quit       الخروج (أو سطر فارغ، أو Ctrl-D)\n"
              "تحرّر الأسهم السطر وتعيد الأسئلة السابقة.",
    },
    "chat_nothing_yet": {
        "en": "Ask a question first.",
        "ar": "اطرح سؤالاً أولاً.",
    },
    "chat_no_more": {
        "en": "No further quotes for this question.",
        "ar": "لا توجد اقتباسات أخرى لهذا السؤال.",
    },
    "chat_no_such_quote": {
        "en": "There is no quote {number}: the quotes shown are 1 to {count}.",
        "ar": "لا يوجد اقتباس رقم {number}: الاقتباسات المعروضة من 1 إلى {count}.",
    },
    "chat_context_usage": {
        "en": "Write the quote's number, e.g. :context 2 (and how many sentences each side: "
              ":context 2 3).",
        "ar": "اكتب رقم الاقتباس، مثلاً :context 2 (وعدد الجمل من كل جهة: :context 2 3).",
    },
    "chat_unknown_command": {
        "en": "Unknown command {command}: :help lists the commands.",
        "ar": "أمر غير معروف {command}: الأوامر في :help.",
    },
    "chat_context_title": {
        "en": "Quote {number} in its context:",
        "ar": "الاقتباس {number} في سياقه:",
    },
    "chat_article_changed": {
        "en": "That article has changed or left the index since: ask again.",
        "ar": "تغيّر هذا المقال أو خرج من الفهرس منذ ذلك الحين: اطرح السؤال من جديد.",
    },
}


def t(key: str, language: str = "en", **params: object) -> str:
    """The message ``key`` in ``language`` (Arabic for "ar", English otherwise)."""
    entry = MESSAGES[key]
    return fill(entry["ar"] if language == "ar" else entry["en"], language, params)
