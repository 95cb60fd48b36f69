"""`isnad chat` as a person uses it: through a pipe, and at a terminal with line
editing and history."""

from __future__ import annotations

import re

import terminal
from test_cli import ISNAD, run

from isnad.home import IndexHome
from isnad.retrieval.local import LocalIndex

QUESTION = "إلى أين كان من المقرر نقل عناصر تنظيم الدولة من جنوب دمشق؟"


def numbers(output: str) -> list[int]:
    return [int(n) for n in re.findall(r"^(\d+)\. «", output, flags=re.MULTILINE)]


def test_more_continues_the_numbering_with_quotes_not_shown_yet(cli_env):
    output = run(["chat", "--top", "2"], cli_env, stdin=f"{QUESTION}\n:more\n:more\n\n").stdout
    assert numbers(output) == [1, 2, 3, 4, 5, 6]
    quotes = re.findall(r"^\d+\. «(.*)»$", output, flags=re.MULTILINE)
    assert len(set(quotes)) == 6


def test_top_sets_the_quotes_per_answer(cli_env):
    assert numbers(run(["chat", "--top", "1"], cli_env, stdin=f"{QUESTION}\n\n").stdout) == [1]


def test_context_is_the_stored_sentences_around_the_quote(cli_env, light_home):
    output = run(["chat"], cli_env, stdin=f"{QUESTION}\n:context 1\n:context 2 2\n\n").stdout
    catalog = LocalIndex(IndexHome(light_home)).catalog
    first = re.search(r"^1\. «(.*)»$\n   — .* (\S+)$", output, flags=re.MULTILINE)
    quote, article_id = first.group(1), first.group(2)
    article = catalog.article(article_id)
    start = article.text.index(quote)
    sentences = catalog.article_sentences(article_id)
    own = next(i for i, s in enumerate(sentences) if s.start == start)
    before, after = sentences[max(own - 1, 0)], sentences[min(own + 1, len(sentences) - 1)]
    expected = article.text[before.start:after.end]
    assert f"Quote 1 in its context:\n{expected}\n" in output or \
        f"الاقتباس 1 في سياقه:\n{expected}\n" in output
    assert "2 في سياقه" in output


def test_commands_that_cannot_be_met_say_why_and_the_chat_goes_on(cli_env):
    stdin = ":more\n:context 1\n" + f"{QUESTION}\n:context 9\n:context x\n:frob\n:\n:help\n\n"
    result = run(["chat"], cli_env, stdin=stdin)
    assert result.returncode == 0
    out = result.stdout
    assert "Ask a question first." in out
    assert "لا يوجد اقتباس رقم 9" in out
    assert ":context 2 3" in out  # the usage line
    assert "أمر غير معروف :frob" in out and "أمر غير معروف ::" in out
    assert "\u200e" not in out and "\u200f" not in out  # piped: no direction marks
    assert ":more" in out and "Traceback" not in result.stderr


def test_a_terminal_gets_line_editing_and_history(cli_env, writable_home):
    env = {**cli_env, "ISNAD_HOME": str(writable_home.root)}
    session = terminal.start([*ISNAD, "chat"], env)
    seen = session.expect("? ")
    session.send("Where is the Yarmouk camp?\r")
    seen = session.expect("? ", start=session.expect("— ", start=seen))
    session.send("\x1b[A\r")  # up arrow: the same question again
    seen = session.expect("? ", start=session.expect("— ", start=seen))
    session.send("Where is Yarmook\x1b[Du\x1b[C?\r")  # left, insert "u", right, "?"
    session.expect("— ", start=seen)
    session.send("\r")
    assert session.finish() == 0
    assert "^[[A" not in session.screen and "^[[D" not in session.screen
    history = (writable_home.root / "chat-history").read_text().splitlines()
    # A recalled line repeated at once is kept once, as in bash.
    assert history == ["Where is the Yarmouk camp?", "Where is Yarmoouk?"]

    again = terminal.start([*ISNAD, "chat"], env)  # a new session recalls the old one
    again.expect("? ")
    again.send("\x1b[A\x1b[A\r")
    again.expect("— ")
    again.send("\r")
    assert again.finish() == 0
