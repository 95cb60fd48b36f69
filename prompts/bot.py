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
    # The date line after start_corpus: which of these depends on how many of the
    # articles state a date ("dated") and whether they state more than one.
    "start_dates_all": {
        "en": "They were published between {first} and {last}.",
        "ar": "نُشرت بين {first} و{last}.",
    },
    "start_one_date_all": {
        "en": "They were published on {first}.",
        "ar": "نُشرت في {first}.",
    },
    "start_dates_some": {
        "en": "{dated} of them state when they were published: between {first} and {last}.",
        "ar": "يذكر {dated} منها تاريخ نشره: بين {first} و{last}.",
    },
    "start_one_date_some": {
        "en": "{dated} of them state when they were published: on {first}.",
        "ar": "يذكر {dated} منها تاريخ نشره: في {first}.",
    },
    "start_one_dated": {
        "en": "One of them states when it was published: on {first}.",
        "ar": "يذكر واحد منها تاريخ نشره: {first}.",
    },
    "start_no_dates": {
        "en": "The articles do not state their publication dates.",
        "ar": "لا تذكر المقالات تواريخ نشرها.",
    },
    "start_try": {"en": "Try asking:", "ar": "جرّب أن تسأل:"},
    # Questions the engine answers well over the bundled articles, with the light and
    # the default model: each is in tests/data/qa.jsonl, and tests/test_bot_examples.py
    # checks that its first quote holds the answer.
    "example_1": {
        "en": "Where were the ISIS fighters from southern Damascus supposed to be "
              "evacuated to?",
        "ar": "ماذا أعطى داعش للنظام مقابل إطلاق سراح المعتقلات؟",
    },
    "example_2": {
        "en": "Which country gave air support to the government offensive on southern "
              "Damascus?",
        "ar": "من يقود قوات النمر؟",
    },
    "start_more": {
        "en": "Ask in Arabic or English. /help lists the commands.",
        "ar": "اسأل بالعربية أو بالإنجليزية. الأوامر في /help.",
    },
    "help": {
        "en": "Send a question as a message and Isnad replies with quotes from the indexed "
              "articles.\n"
              "Under each answer: “More” for further quotes, “Context” for the passage "
              "around a quote, 👍/👎 to tell the maintainers whether a quote helped (under "
              "several quotes, pick its number).\n"
              "Tap an article id in an attribution, or send /article and the id, to read "
              "the whole article.\n"
              "In a group: mention me, reply to one of my messages, or use /ask.\n"
              "In any chat: type @{username} and a question to share a quote.\n\n"
              "What is stored: the text of your questions and your chat id, for 30 days, "
              "so that the buttons under an answer work; your 👍/👎 votes with your user "
              "id, the question and the quote, for the maintainers, until you delete them; "
              "and, with no text or ids, the time and outcome of each question for "
              "statistics. /forget deletes your stored questions and votes.\n\n"
              "/start — what Isnad is and what it has indexed\n"
              "/sources — the indexed articles\n"
              "/article id — the whole text of an article\n"
              "/ask question — ask (in groups)\n"
              "/forget — delete your stored questions and votes\n"
              "/help — this message",
        "ar": "أرسل سؤالك في رسالة فيرد إسناد باقتباسات من المقالات المفهرسة.\n"
              "تحت كل إجابة: «المزيد» لاقتباسات أخرى، و«السياق» للفقرة المحيطة بالاقتباس، "
              "و👍/👎 لإخبار المشرفين إن كان الاقتباس مفيداً (إن تعددت الاقتباسات فاختر رقمه).\n"
              "اضغط على معرّف المقال في سطر المصدر، أو أرسل /article ومعرّف المقال، لقراءة "
              "المقال كاملاً.\n"
              "في المجموعات: اذكرني أو رُدّ على إحدى رسائلي أو استخدم /ask.\n"
              "في أي محادثة: اكتب @{username} ثم سؤالك لمشاركة اقتباس.\n\n"
              "ما يُحفظ: نص أسئلتك ومعرّف محادثتك لمدة 30 يوماً كي تعمل الأزرار تحت الإجابة؛ "
              "وتقييماتك 👍/👎 مع معرّف حسابك والسؤال والاقتباس، للمشرفين، إلى أن تحذفها؛ "
              "ووقت كل سؤال ونتيجته للإحصاء، دون نص أو معرّفات. "
              "يحذف الأمر /forget أسئلتك وتقييماتك المحفوظة.\n\n"
              "/start — ما هو إسناد وما الذي فهرسه\n"
              "/sources — المقالات المفهرسة\n"
              "/article معرّف — نص المقال كاملاً\n"
              "/ask سؤال — اسأل (في المجموعات)\n"
              "/forget — احذف أسئلتك وتقييماتك المحفوظة\n"
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
    "command_article": {"en": "The whole text of an article", "ar": "نص المقال كاملاً"},
    "command_forget": {"en": "Delete your stored questions and votes",
                       "ar": "احذف أسئلتك وتقييماتك المحفوظة"},
    # -- /article and /forget --------------------------------------------------------
    "article_usage": {
        "en": "Write the article's id after the command, as the attributions show it, "
              "for example: /article 001_bfd5bbd812b5631f (/sources lists them).",
        "ar": "اكتب معرّف المقال بعد الأمر كما يظهر في سطر المصدر، مثلاً: "
              "/article 001_bfd5bbd812b5631f (القائمة في /sources).",
    },
    "article_bad_id": {
        "en": "That is not an article id: ids are up to 128 letters, digits and _ . : - "
              "(/sources lists them).",
        "ar": "هذا ليس معرّف مقال: المعرّف حتى 128 من الحروف والأرقام و _ . : - "
              "(القائمة في /sources).",
    },
    "article_unknown": {
        "en": "No indexed article has the id {id}: /sources lists them.",
        "ar": "لا يوجد في الفهرس مقال معرّفه {id}: القائمة في /sources.",
    },
    "article_page": {
        "en": "The whole article, page {page} of {pages}:",
        "ar": "المقال كاملاً، الصفحة {page} من {pages}:",
    },
    "forgotten": {
        "en": "Deleted what Isnad stored about you: questions {questions}, votes {votes}. "
              "The buttons under those answers no longer work.",
        "ar": "حُذف ما حفظه إسناد عنك: الأسئلة {questions}، والتقييمات {votes}. "
              "لم تعد الأزرار تحت تلك الإجابات تعمل.",
    },
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
    # The answer's row is More · Context · 👍 · 👎: short labels, to fit a phone.
    "button_more": {"en": "More", "ar": "المزيد"},
    "button_context": {"en": "Context", "ar": "السياق"},
    "button_context_n": {"en": "Context {n}", "ar": "السياق {n}"},
    "button_back": {"en": "Back", "ar": "رجوع"},
    "quote_cut": {
        "en": "(shortened: “Context” shows the whole passage of quote {n})",
        "ar": "(مختصر: «السياق» يعرض الفقرة كاملة للاقتباس {n})",
    },
    "no_more": {
        "en": "No further quotes for this question.",
        "ar": "لا توجد اقتباسات أخرى لهذا السؤال.",
    },
    "not_here": {
        "en": "These buttons work only in the chat where the question was asked.",
        "ar": "تعمل هذه الأزرار في المحادثة التي طُرح فيها السؤال فقط.",
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
