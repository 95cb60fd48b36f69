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
    "also_in": {"en": "also reported by", "ar": "ورد أيضاً في"},
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


#: What the `isnad` command tells the person who runs it about their articles, the index
#: and the settings: English only, like the rest of a maintainer's output (eval.py).
CLI_MESSAGES: dict[str, str] = {
    # -- reading articles: one line each, after "skipped PATH: " ------------------------
    "permission_denied": "cannot read: permission denied",
    "cannot_read": "cannot read: {reason}",
    "broken_link": "cannot read: broken link to {target}",
    "folder_unreadable": "cannot read this folder ({reason}): the articles in it are not "
                         "read",
    "link_outside": "symbolic link to {target}, outside {folder}: not followed (name it "
                    "on the command line to read it)",
    "not_regular": "not a regular file but {kind}: not read",
    "kind_fifo": "a named pipe (FIFO)",
    "kind_device": "a device",
    "kind_socket": "a socket",
    "kind_other": "a special file",
    "no_such_path": "no such file or folder",
    "unsupported": "unsupported file type; expected one of {suffixes}",
    "too_big": "larger than {limit} bytes, the limit for one article "
               "(ISNAD_MAX_ARTICLE_BYTES): not read",
    "line_too_big": "line longer than {limit} bytes, the limit for one article "
                    "(ISNAD_MAX_ARTICLE_BYTES): skipped",
    "not_utf8": "not UTF-8 text",
    "empty_file": "empty file",
    "only_controls": "no text left once control characters are removed (a binary file?)",
    "mostly_controls": "{removed} of {total} characters are control characters: binary "
                       "data or another encoding (UTF-16?), not UTF-8 text",
    "not_json": "not JSON ({reason})",
    "too_deep": "not JSON that can be read: nested too deeply",
    "unusable_json": "not JSON that can be read ({reason})",
    "not_object": "expected a JSON object",
    "missing_keys": "missing {keys}",
    "id_not_string": "'id' must be a string",
    "text_not_string": "'text' must be a non-empty string",
    "text_only_controls": "'text' has no text once control characters are removed",
    "field_not_string": "'{key}' must be a string or null; ignored",
    "not_a_date": "published {value} is not a date; ignored",
    "duplicate_id": "duplicate article id {article_id} (first read from {first}); skipped",
    "html_needs_clean": "HTML pages need the package lxml_html_clean, which is not installed "
                        "({reason}): pip install 'lxml[html_clean]'",
    "unexpected_in_file": "could not be read ({error}); the other files are read",
    # -- the index -----------------------------------------------------------------
    "no_index": "no index in {index}: run `isnad index build`",
    "index_orphaned": "the index in {index} has no current version (its `current` link is "
                      "missing or points at a removed version) but keeps earlier versions in "
                      "{generations}: `isnad index recover` switches back to the newest "
                      "complete one (`isnad index build PATH` starts over instead)",
    "index_damaged": "the index in {generation} is damaged ({reason}): rebuild it with "
                     "`isnad index rebuild` (from the stored articles), `isnad index "
                     "recover` (back to the newest complete earlier version) or `isnad "
                     "index build PATH` (from the source files)",
    "index_older_format": "the index in {generation} was made by an older isnad (format "
                          "{found}, this one reads {known}): convert it with `isnad index "
                          "rebuild`",
    "index_newer_format": "the index in {generation} was made by a newer isnad (format "
                          "{found}, this one reads {known}): upgrade isnad, or rebuild it "
                          "with `isnad index rebuild`",
    "model_mismatch": "the index was built with model {indexed!r}, not {configured!r} "
                      "(ISNAD_MODEL): set ISNAD_MODEL={indexed}, or rebuild the index for "
                      "{configured} with `ISNAD_MODEL={configured} isnad index rebuild`",
    "model_settings_changed": "the index was built with model {indexed!r} under other "
                              "settings ({stored}), not those it has now ({configured}): "
                              "rebuild it with `isnad index rebuild`",
    "stored_articles_unreadable": "the articles stored in {generation} cannot be read "
                                  "({reason}): build from the source files with `isnad "
                                  "index build PATH`",
    "index_busy": "another isnad process is writing the index in {index}; try again when it "
                  "has finished",
    "repair_local": "to repair: `isnad index rebuild` re-indexes the stored articles; if the "
                    "catalog itself is unreadable, `isnad index build PATH` from the source "
                    "files, or `isnad index recover` to go back to the newest complete "
                    "earlier version",
    "repair_postgres": "to repair: `isnad index rebuild` re-indexes the stored articles (in "
                       "one transaction: the index stays readable meanwhile), or `isnad "
                       "index build PATH` from the source files",
    "nothing_to_recover": "no kept version in {generations} is complete: build the index "
                          "again from the source files with `isnad index build PATH`",
    "recovered": "recovered: the current version is now {generation} ({articles} articles); "
                 "it was {previous}",
    "recover_not_needed": "nothing to recover: the current version {generation} is complete",
    "cache_moved_aside": "the embedding cache {path} was not a database ({reason}): moved "
                         "aside to {aside} and started empty (it only saves embedding "
                         "texts again; delete the old file when you like)",
    "cache_damaged": "the embedding cache {path} cannot be used ({reason}): delete it and "
                     "run again (it only saves embedding texts again)",
    "cache_unopenable": "the embedding cache {path} cannot be opened ({reason})",
    # -- a PostgreSQL database (ISNAD_DATABASE_URL); {url} never shows the password ------
    "database_driver_missing": "ISNAD_DATABASE_URL is set but the PostgreSQL driver is not "
                               "installed: pip install 'isnad[postgres]'",
    "database_bad_url": "{setting} is not a PostgreSQL URL ({reason}); expected "
                        "postgresql://USER@HOST:PORT/DATABASE",
    "database_unreachable": "cannot reach the database server at {url} ({reason}): is it "
                            "running, and is {setting} right?",
    "database_refused_login": "the database server at {url} refused the login ({reason}): "
                              "check the user and password in {setting}",
    "database_missing": "the database in {url} does not exist: create it (createdb) or "
                        "fix {setting}",
    "database_lost": "lost the connection to the database at {url} ({reason}); nothing "
                     "partial was written: run again when the server is back",
    "database_failed": "the database at {url} refused a statement ({reason}); nothing "
                       "partial was written",
    "database_newer_schema": "the database at {url} holds Isnad's {component} in layout "
                             "{found}, written by a newer Isnad (this one knows {known}): "
                             "upgrade Isnad",
    "database_older_schema": "the database at {url} holds Isnad's {component} in layout "
                             "{found}, older than this Isnad's {known}: run `isnad index "
                             "status` against the primary (ISNAD_DATABASE_URL) to upgrade it",
    "no_index_database": "no index in the database at {url}: run `isnad index build`",
    "index_database_damaged": "the index in the database at {url} cannot be read "
                              "({reason}): rebuild it with `isnad index rebuild`",
    "index_database_busy": "another isnad process is writing the index in the database at "
                           "{url}; try again when it has finished",
    "database_extension_missing": "the database server at {url} has no pgvector extension "
                                  "({reason}): install pgvector 0.7 or later on the server",
    "database_extension_privilege": "the database at {url} does not have the pgvector "
                                    "extension and this user may not create it: run "
                                    "`CREATE EXTENSION vector;` in it as its owner",
    # -- settings ------------------------------------------------------------------
    "bad_setting": "{name}{value} is not a valid value ({reason}){more}; see the README's "
                   "settings or `isnad COMMAND --help`",
    "more_bad_settings": "; also invalid: {names}",
    "watch_batch_failed": "could not index {count} files ({error}); they are tried again "
                          "when they change",
}


def cli_t(key: str, /, **params: object) -> str:
    """The maintainer's message ``key`` with ``params`` filled in (``key`` is positional:
    a message may have a field of that name)."""
    return CLI_MESSAGES[key].format(**params)


def t(key: str, language: str = "en", **params: object) -> str:
    """The message ``key`` in ``language`` (Arabic for "ar", English otherwise)."""
    entry = MESSAGES[key]
    return fill(entry["ar"] if language == "ar" else entry["en"], language, params)
