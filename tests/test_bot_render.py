"""The bot's messages against Telegram's limits: escaping, 4,096 characters, tags never
cut, callback data ≤ 64 bytes, and the mix of Arabic and Latin text."""

from __future__ import annotations

import pytest
from e2e.checks import assert_callback_data, assert_within_limits, blockquotes, visible

from isnad.bot.deeplinks import article_id_from, article_link
from isnad.bot.keyboards import answer_keyboard, numbers_keyboard, sources_keyboard
from isnad.bot.render import (
    LIMIT,
    LRM,
    RLM,
    answer_parts,
    article_pages,
    attribution,
    context_messages,
    context_span,
    cut_text,
    dates_line,
    quote_block,
    sources_page,
    split_segments,
    start_message,
    summarise,
    tg_len,
)
from isnad.corpus.model import Article
from isnad.corpus.sentences import split_sentences
from isnad.prompts.bot import bot_t
from isnad.retrieval.answer import Citation, Quote


def spans(text: str) -> list[tuple[int, int]]:
    """Sentence offsets as the index stores them."""
    return [(span.start, span.end) for span in split_sentences(text)]

ARABIC = ("أكدت مصادر محلية إجراء أول عملية تبادل بين التنظيم والنظام. "
          "وقالت المصادر إن <b>الحافلات</b> & القوافل ستخرج إلى بادية السويداء خلال أيام. "
          "ولم يصدر أي تعليق رسمي على ذلك حتى الآن.")


def quote_of(article: Article, text: str) -> Quote:
    start = article.text.index(text)
    return Quote(text=text, article_id=article.id, title=article.title, source=article.source,
                 published=article.published, url=article.url, start=start,
                 end=start + len(text), score=0.8)


@pytest.fixture()
def article() -> Article:
    return Article(id="sy24-" + "x" * 123, text=ARABIC, title="عملية تبادل <بين> داعش & النظام",
                   source="SY24", published="2018-04-20", url="https://example.org/a?b=1&c=<2>")


def test_quote_text_and_metadata_are_escaped(article):
    quote = quote_of(article, "وقالت المصادر إن <b>الحافلات</b> & القوافل ستخرج إلى بادية "
                              "السويداء خلال أيام.")
    block = quote_block(1, quote, "ar")
    assert "&lt;b&gt;الحافلات&lt;/b&gt; &amp;" in block
    assert "&lt;بين&gt; داعش &amp; النظام" in block
    assert 'href="https://example.org/a?b=1&amp;c=&lt;2&gt;"' in block
    assert_within_limits(block)
    assert blockquotes(block) == [quote.text]  # verbatim, once unescaped


def test_attribution_says_what_is_not_stated_and_never_invents_it():
    html = attribution(None, None, None, None, "a1", "en")
    assert "outlet not stated" in html and "(untitled)" in html
    assert "<code>a1</code>" in html and "href" not in html
    assert "20" not in visible(html)  # no date appears when none is stated
    arabic = attribution(None, None, None, "ftp://x", "a1", "ar")
    assert "المصدر غير مذكور" in arabic and "href" not in arabic  # only web links


def test_arabic_quote_runs_right_to_left_and_latin_parts_are_isolated(article):
    quote = quote_of(article, "ولم يصدر أي تعليق رسمي على ذلك حتى الآن.")
    block = quote_block(2, quote, "en")
    assert "<blockquote>" + RLM in block
    assert "\u2068SY24\u2069" in block and "\u20682018-04-20\u2069" in block
    assert block.split("\n")[-1].startswith("\u200e— ")  # English interface line


def test_answers_split_between_quotes_within_4096(article):
    long_sentence = "كلمة " * 170 + "نهاية."
    text = " ".join(long_sentence for _ in range(20))
    big = Article(id="big", text=text, source="SY24")
    quotes = []
    for i in range(20):
        start = i * (len(long_sentence) + 1)
        quotes.append(Quote(text=text[start:start + len(long_sentence)], article_id="big",
                            title=None, source="SY24", published=None, url=None, start=start,
                            end=start + len(long_sentence), score=0.5))
    parts = answer_parts(quotes, "ar", header="ملاحظة <تجريبية>")
    assert len(parts) > 1
    for part in parts:
        assert_within_limits(part.html)
    assert [i for p in parts for i in p.quotes] == list(range(20))  # each once, in order
    assert [q for p in parts for q in blockquotes(p.html)] == [q.text for q in quotes]
    assert big.text  # the quotes are the article's own words


def test_an_overlong_quote_is_cut_at_a_sentence_with_an_ellipsis():
    sentence = "This sentence has exactly some words & <symbols> in it. "
    text = sentence * 200
    quote = Quote(text=text.strip(), article_id="long", title="T", source="S",
                  published=None, url=None, start=0, end=len(text.strip()), score=0.5)
    block = quote_block(3, quote, "en")
    assert_within_limits(block)
    shown = blockquotes(block)[0]
    assert shown.endswith("in it.…")  # a whole sentence, then the ellipsis
    assert text.startswith(shown.removesuffix("…"))
    assert "“Context” shows the whole passage of quote 3" in visible(block)


def test_cut_text_prefers_sentence_then_word_boundaries():
    assert cut_text("Alpha beta gamma. Delta epsilon zeta eta", 25) == "Alpha beta gamma.…"
    assert cut_text("alpha beta gamma delta epsilon", 17) == "alpha beta gamma…"
    assert tg_len(cut_text("&" * 100, 21)) <= 21 * 5  # escaping counted, not raw length
    assert len(cut_text("&" * 100, 21)) == 5  # four "&amp;" and the ellipsis


def test_emoji_count_twice_towards_the_limit():
    assert tg_len("👍") == 2 and tg_len("ب") == 1


def test_context_is_the_neighbouring_sentences_verbatim(article):
    quote = quote_of(article, "وقالت المصادر إن <b>الحافلات</b> & القوافل ستخرج إلى بادية "
                              "السويداء خلال أيام.")
    sentences = spans(article.text)
    s, e = context_span(sentences, quote.start, quote.end)
    assert (s, e) == (0, len(article.text))
    messages = context_messages(article, sentences, quote.start, quote.end, 1, "ar")
    assert len(messages) == 1
    assert_within_limits(messages[0])
    assert "<b>" + "وقالت المصادر إن &lt;b&gt;" in messages[0]
    assert blockquotes(messages[0]) == [article.text]


def test_context_span_stops_at_the_next_sentence():
    text = "First one. Second one. Third one. Fourth one. Fifth one."
    start = text.index("Third")
    sentences = spans(text)
    assert text[slice(*context_span(sentences, start, start + len("Third one.")))] == (
        "Second one. Third one. Fourth one.")
    assert text[slice(*context_span(sentences, 0, len("First one.")))] == (
        "First one. Second one.")
    assert context_span([], 3, 9) == (3, 9)  # no sentences stored: the quote alone


def test_context_follows_the_stored_sentences_not_punctuation():
    """The index's sentences decide where the neighbours begin: "د. محمد" (an initial)
    ends no sentence, though a full stop and a space follow "د"."""
    text = "بدأت المفاوضات في يلدا. وقال د. محمد إن الاتفاق قريب. ولم يعلق أحد. وانتهى اللقاء."
    start = text.index("ولم")
    end = start + len("ولم يعلق أحد.")
    assert text[slice(*context_span(spans(text), start, end))] == (
        "وقال د. محمد إن الاتفاق قريب. ولم يعلق أحد. وانتهى اللقاء.")


def test_a_huge_context_spans_several_messages_without_cutting_tags():
    text = ("word " * 2000).strip() + "."
    article = Article(id="huge", text=text)
    messages = context_messages(article, spans(text), 0, len(text), 1, "en")
    assert len(messages) > 1
    for message in messages:
        assert_within_limits(message)
    assert "".join(blockquotes(m)[0] for m in messages) == text


def test_split_segments_reopens_tags_in_each_chunk():
    chunks = split_segments([("a " * 30, None), ("b " * 30, "b")], 40)
    for chunk in chunks:
        assert chunk.count("<b>") == chunk.count("</b>")
        assert tg_len(chunk) <= 40


def test_callback_data_stays_within_64_bytes():
    token = "Ab3_x9Qz"  # store.save_answer's tokens: 8 URL-safe characters
    markup = answer_keyboard(token, list(range(95, 100)), "ar", more=True).to_dict()
    assert_callback_data(markup)
    assert_callback_data(sources_keyboard(5, 1000, "en").to_dict())
    assert_callback_data(numbers_keyboard(token, "d", 95, 119, "ar").to_dict())


def test_start_message_and_sources_pages():
    articles = [Article(id=f"a{i}", text="", title=f"Title {i}", source=f"Outlet {i % 3}",
                        published=f"2018-05-{i + 1:02d}" if i % 2 else None)
                for i in range(23)]
    summary = summarise(articles)
    assert (summary.articles, summary.outlets, summary.dated) == (23, 3, 11)
    assert (summary.first, summary.last) == ("2018-05-02", "2018-05-22")
    text = start_message(summary, "en")
    assert_within_limits(text)
    assert "23 articles from 3 outlets. 11 of them state when they were published: between " \
           "2018-05-02 and 2018-05-22." in visible(text)
    undated = start_message(summarise([Article(id="x", text="")]), "ar")
    assert "لا تذكر المقالات تواريخ نشرها" in visible(undated)
    assert bot_t("example_1", "en") in visible(text)
    page, shown, pages = sources_page(articles, 2, "ar")
    assert (shown, pages) == (2, 3)
    assert "21–23" in visible(page) and "Title 22" in visible(page)
    assert_within_limits(page)
    assert sources_page(articles, 99, "en")[1] == 2  # clamped to the last page


def test_numbers_and_limits_agree_with_telegram_constants():
    assert LIMIT == 4096


def test_each_number_line_carries_the_interface_direction(article):
    quote = quote_of(article, "ولم يصدر أي تعليق رسمي على ذلك حتى الآن.")
    assert quote_block(2, quote, "ar").startswith(RLM + "<b>2.</b>\n")
    assert quote_block(2, quote, "en").startswith(LRM + "<b>2.</b>\n")
    assert quote_block(None, quote, "en").startswith("<blockquote>")  # inline: no number


def test_every_field_is_capped_and_an_overlong_link_becomes_the_id():
    html = attribution("S" * 3000, "عنوان " * 1000, "2018" + "9" * 500,
                       "https://example.org/" + "a" * 5000, "a1", "en", "IsnadBot")
    assert tg_len(html) < 700
    assert visible(html).count("…") == 3  # outlet, title and date, each cut visibly
    assert "example.org" not in html
    assert 'href="https://t.me/IsnadBot?start=article_a1"' in html


def test_an_article_id_links_to_the_article_in_the_bot():
    html = attribution("SY24", "T", None, None, "001_bfd5bbd812b5631f", "ar", "IsnadBot")
    assert '<a href="https://t.me/IsnadBot?start=article_001_bfd5bbd812b5631f">' in html
    assert "<code>" in attribution("SY24", "T", None, None, "a1", "ar")  # no bot name yet
    for article_id in ("001_bfd5bbd812b5631f", "sy24:2018.05", "مقال-١"):
        link = article_link("IsnadBot", article_id)
        payload = link.split("start=")[1]
        assert len(payload) <= 64 and payload.replace("_", "").replace("-", "").isalnum()
        assert article_id_from(payload) == article_id
    assert article_link("IsnadBot", "x" * 128) is None  # too long for any start payload
    assert article_id_from("article64_%%%") is None and article_id_from("hello") is None


def test_article_pages_give_back_the_whole_text_verbatim():
    text = " ".join(f"الجملة رقم {i} عن <الحافلات> & القوافل." for i in range(600))
    article = Article(id="long", text=text, title="T", source="SY24")
    pages = article_pages(article, "ar")
    assert len(pages) > 3
    for page in pages:
        assert_within_limits(page)
    assert "".join(blockquotes(p)[0] for p in pages) == text
    assert f"1 من {len(pages)}" in visible(pages[0])


def test_the_date_line_reads_naturally_for_any_count():
    def line(*dates: str | None, language: str = "en") -> str:
        articles = [Article(id=f"a{i}", text="", published=d) for i, d in enumerate(dates)]
        return visible(dates_line(summarise(articles), language))

    assert line("2018-05-21", None, None, None, None) == (
        "One of them states when it was published: on 2018-05-21.")
    assert line("2018-05-21", None, language="ar") == "يذكر واحد منها تاريخ نشره: 2018-05-21."
    assert line("2018-05-01", "2018-05-21") == (
        "They were published between 2018-05-01 and 2018-05-21.")
    assert line("2018-05-21", "2018-05-21", None) == (
        "2 of them state when they were published: on 2018-05-21.")
    assert line(None, None) == "The articles do not state their publication dates."


def test_light_answer_keyboard_is_one_row():
    (row,) = answer_keyboard("Ab3_x9Qz", [0, 1, 2], "en", more=True).inline_keyboard
    assert [b.text for b in row] == ["More", "Context", "👍", "👎"]
    (row,) = answer_keyboard("Ab3_x9Qz", [3], "ar", more=False).inline_keyboard
    assert [b.text for b in row] == ["السياق", "👍", "👎"]


def test_other_outlets_with_the_same_report_are_named_under_the_quote(article):
    quote = quote_of(article, "ولم يصدر أي تعليق رسمي على ذلك حتى الآن.")
    copies = [Citation(**quote_of(Article(id=f"copy{i}", text=ARABIC, source=f"Outlet{i}",
                                          url=f"https://example.org/{i}&x" if i % 2 else None),
                                  quote.text).model_dump(exclude={"score", "also"}))
              for i in range(2)]
    block = quote_block(1, quote.model_copy(update={"also": copies}), "en", bot_username="IsnadBot")
    last = block.split("\n")[-1]
    assert last.startswith("\u200e— also reported by: ")
    assert '<a href="https://t.me/IsnadBot?start=article_copy0">Outlet0</a>' in last
    assert '<a href="https://example.org/1&amp;x">Outlet1</a>' in last
    assert blockquotes(block) == [quote.text]
    assert "also" not in quote_block(1, quote, "en")  # a report told once says nothing more


def test_many_copies_with_long_links_keep_the_quote_within_4096(article):
    quote = quote_of(article, "ولم يصدر أي تعليق رسمي على ذلك حتى الآن.")
    copies = [Citation(text=quote.text, article_id=f"c{i}", title="T" * 300, source="S" * 300,
                       published=None, url="https://example.org/" + "a" * 400,
                       start=quote.start, end=quote.end) for i in range(200)]
    block = quote_block(1, quote.model_copy(update={"also": copies}), "ar")
    assert_within_limits(block)
    assert blockquotes(block) == [quote.text]  # the quote itself is never cut for them
    assert visible(block.split("\n")[-1]).rstrip().split(", +")[-1].isdigit()  # how many more
