"""Everything the Telegram bot says to a person, in Arabic and English.

Same shape as ``messages.py`` (key → {"en", "ar"}). The strings are plain text: the
bot HTML-escapes every one of them before it adds its own markup, so a translator
never has to think about Telegram's HTML (and cannot break it). A count that meets a
noun is written ``{count|word}`` (see plurals.py).
"""

from __future__ import annotations

from .plurals import fill

BOT_MESSAGES: dict[str, dict[str, str]] = {
    # -- /start and /help ------------------------------------------------------------
    "start_about": {
        "en": "Isnad answers questions about Arabic news with verbatim quotes from the "
              "articles, each with its outlet, title, date and link. It never paraphrases: "
              "if the articles do not say it, Isnad says so.",
        "ar": "يجيب إسناد عن أسئلتك حول الأخبار العربية باقتباسات حرفية من المقالات، "
              "مع اسم المصدر والعنوان والتاريخ والرابط لكل اقتباس. لا يعيد الصياغة أبداً: "
              "إن لم تذكر المقالات الجواب قال ذلك.",
    },
    "start_corpus": {
        "en": "The index holds {articles|articles} from {outlets|outlets}. {dates}",
        "ar": "عدد المقالات في الفهرس: {articles}، وعدد المصادر: {outlets}. {dates}",
    },
    "start_dates": {
        "en": "Publication dates, where the articles state them ({dated} of {articles}): "
              "{first} to {last}.",
        "ar": "تواريخ النشر، حيث تذكرها المقالات ({dated} من {articles}): من {first} إلى {last}.",
    },
    "start_one_date": {
        "en": "Publication date, where the articles state one ({dated} of {articles}): "
              "{first}.",
        "ar": "تاريخ النشر، حيث تذكره المقالات ({dated} من {articles}): {first}.",
    },
    "start_no_dates": {
        "en": "The articles do not state their publication dates.",
        "ar": "لا تذكر المقالات تواريخ نشرها.",
    },
    "start_try": {"en": "Try asking:", "ar": "جرّب أن تسأل:"},
    "example_1": {
        "en": "Where was ISIS to be evacuated to?",
        "ar": "إلى أين سيخرج تنظيم الدولة من جنوب دمشق؟",
    },
    "example_2": {
        "en": "Did ISIS fighters leave southern Damascus?",
        "ar": "من يفاوض تنظيم داعش في جنوب دمشق؟",
    },
    "start_more": {
        "en": "Ask in Arabic or English. /help lists the commands.",
        "ar": "اسأل بالعربية أو بالإنجليزية. الأوامر في /help.",
    },
    "help": {
        "en": "Send a question as a message and Isnad replies with quotes from the indexed "
              "articles.\n"
              "Under each answer: “More” for further quotes, “Context” for the passage "
              "around a quote, 👍/👎 to tell the maintainers whether it helped.\n"
              "In a group: mention me, reply to one of my messages, or use /ask.\n"
              "In any chat: type @{username} and a question to share a quote.\n\n"
              "/start — what Isnad is and what it has indexed\n"
              "/sources — the indexed articles\n"
              "/ask question — ask (in groups)\n"
              "/help — this message",
        "ar": "أرسل سؤالك في رسالة فيرد إسناد باقتباسات من المقالات المفهرسة.\n"
              "تحت كل إجابة: «المزيد» لاقتباسات أخرى، و«السياق» للفقرة المحيطة بالاقتباس، "
              "و👍/👎 لإخبار المشرفين إن كانت مفيدة.\n"
              "في المجموعات: اذكرني أو رُدّ على إحدى رسائلي أو استخدم /ask.\n"
              "في أي محادثة: اكتب @{username} ثم سؤالك لمشاركة اقتباس.\n\n"
              "/start — ما هو إسناد وما الذي فهرسه\n"
              "/sources — المقالات المفهرسة\n"
              "/ask سؤال — اسأل (في المجموعات)\n"
              "/help — هذه الرسالة",
    },
    "ask_usage": {
        "en": "Write the question after the command, for example: /ask {example}",
        "ar": "اكتب السؤال بعد الأمر، مثلاً: /ask {example}",
    },
    "command_start": {"en": "What Isnad is", "ar": "ما هو إسناد"},
    "command_help": {"en": "How to ask", "ar": "طريقة السؤال"},
    "command_sources": {"en": "The indexed articles", "ar": "المقالات المفهرسة"},
    "command_ask": {"en": "Ask a question (in groups)", "ar": "اطرح سؤالاً (في المجموعات)"},
    # -- /sources --------------------------------------------------------------------
    "sources_title": {
        "en": "Indexed articles {first}–{last} of {total}:",
        "ar": "المقالات المفهرسة {first}–{last} من {total}:",
    },
    "sources_empty": {
        "en": "No articles are indexed yet.",
        "ar": "لا توجد مقالات مفهرسة بعد.",
    },
    "button_previous": {"en": "◀ Previous", "ar": "السابق ▶"},
    "button_next": {"en": "Next ▶", "ar": "◀ التالي"},
    # -- answers ---------------------------------------------------------------------
    "link": {"en": "link", "ar": "الرابط"},
    "button_more": {"en": "More quotes", "ar": "المزيد من الاقتباسات"},
    "button_context": {"en": "Context {n}", "ar": "السياق {n}"},
    "quote_cut": {
        "en": "(shortened: “Context {n}” shows the whole passage)",
        "ar": "(مختصر: «السياق {n}» يعرض الفقرة كاملة)",
    },
    "no_more": {
        "en": "No further quotes for this question.",
        "ar": "لا توجد اقتباسات أخرى لهذا السؤال.",
    },
    "expired": {
        "en": "This answer is too old for its buttons: ask the question again.",
        "ar": "انتهت صلاحية أزرار هذه الإجابة: اطرح السؤال من جديد.",
    },
    "context_title": {
        "en": "Quote {n} in its context:",
        "ar": "الاقتباس {n} في سياقه:",
    },
    "article_gone": {
        "en": "That article is no longer in the index.",
        "ar": "لم يعد هذا المقال في الفهرس.",
    },
    "feedback_thanks": {
        "en": "Thank you: your feedback was recorded.",
        "ar": "شكراً لك: سُجّل تقييمك.",
    },
    # -- limits and errors -----------------------------------------------------------
    "rate_limited": {
        "en": "You are asking faster than I can answer well: please wait "
              "{seconds|seconds} and ask again.",
        "ar": "أسئلتك أسرع مما أستطيع الإجابة عنه جيداً: انتظر {seconds|seconds} ثم اسأل "
              "من جديد.",
    },
    "error": {
        "en": "Sorry, something went wrong while answering. Please try again in a moment.",
        "ar": "عذراً، حدث خطأ أثناء الإجابة. حاول مرة أخرى بعد قليل.",
    },
    # -- maintainers -----------------------------------------------------------------
    "admin_only": {
        "en": "This command is for Isnad's maintainers.",
        "ar": "هذا الأمر مخصص لمشرفي إسناد.",
    },
    "stats": {
        "en": "Articles: {articles}\nPassages: {passages}\nQuestions: {questions} "
              "({answered} answered with quotes)\nMedian latency: {median} ms\n"
              "Feedback: 👍 {up} · 👎 {down}",
        "ar": "المقالات: {articles}\nالفقرات: {passages}\nالأسئلة: {questions} "
              "(أُجيب عن {answered} منها باقتباسات)\nوسيط زمن الإجابة (مللي ثانية): {median}\n"
              "التقييمات: 👍 {up} · 👎 {down}",
    },
    "reindex_started": {
        "en": "Re-indexing the configured articles; questions are still answered meanwhile.",
        "ar": "تجري إعادة فهرسة المقالات المحددة؛ تستمر الإجابة عن الأسئلة في أثناء ذلك.",
    },
    "reindex_busy": {
        "en": "A re-index is already running.",
        "ar": "إعادة الفهرسة جارية بالفعل.",
    },
    "reindex_summary": {
        "en": "Index updated in {seconds} s: {added} added, {replaced} changed, {unchanged} "
              "unchanged, {duplicates} duplicates, {skipped} skipped. Now {articles} articles "
              "({passages} passages); new questions use it.",
        "ar": "حُدّث الفهرس في {seconds|seconds}: الجديد {added}، المعدَّل {replaced}، "
              "غير المتغير {unchanged}، المكرر {duplicates}، المتخطّى {skipped}. "
              "المقالات الآن {articles} (الفقرات {passages})؛ الأسئلة الجديدة تستخدمه.",
    },
    "reindex_empty": {
        "en": "No readable articles in the configured folders; the index is unchanged.",
        "ar": "لا توجد مقالات مقروءة في المجلدات المحددة؛ لم يتغير الفهرس.",
    },
    "reindex_failed": {
        "en": "Re-indexing failed; the old index still answers. {error}",
        "ar": "فشلت إعادة الفهرسة؛ ما زال الفهرس القديم يجيب. {error}",
    },
}


def bot_t(key: str, language: str = "en", **params: object) -> str:
    """The bot message ``key`` in ``language`` (Arabic for "ar", English otherwise)."""
    entry = BOT_MESSAGES[key]
    return fill(entry["ar"] if language == "ar" else entry["en"], language, params)
