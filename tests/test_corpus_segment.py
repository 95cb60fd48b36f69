"""Sentences and passages: offsets that quotes are cut from, checked as properties."""

from __future__ import annotations

import itertools

import pytest

from isnad.corpus import (
    Article,
    Passage,
    Span,
    bundled_corpus_dir,
    make_passages,
    read_articles,
    split_article,
    split_sentences,
)

BUNDLED = read_articles([bundled_corpus_dir()]).articles
CRAFTED = [
    "",
    "   \n\n ",
    "جملة واحدة بلا نقطة",
    "قال د. محمد إن الاتفاق تم في 21.05.2018، وإن النسبة 2.5 بالمئة؛ فهل انتهى؟ نعم!! انتهى.",
    "هل خرج؟!  «نعم.» قال المصدر… ثم صمت.\r\nسطر ثانٍ\n\n\n  سطر ثالث مع مسافات  ",
    'U.S. officials said "it is over." Then they left (as planned.) End',
    "نقطة في آخر النص.",
]
TEXTS = [a.text for a in BUNDLED] + CRAFTED


def _non_space(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


def _texts(text: str, spans: list[Span]) -> list[str]:
    return [text[s.start:s.end] for s in spans]


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_sentence_spans_partition_the_text(text: str) -> None:
    spans = split_sentences(text)
    previous_end = 0
    for span in spans:
        assert previous_end <= span.start < span.end <= len(text)
        sentence = text[span.start:span.end]
        assert sentence == sentence.strip()
        assert "\n" not in sentence
        assert text[previous_end:span.start].strip() == ""  # only whitespace between
        previous_end = span.end
    assert text[previous_end:].strip() == ""
    assert "".join(_non_space(s) for s in _texts(text, spans)) == _non_space(text)


def test_no_split_on_commas_or_inside_numbers() -> None:
    text = "قال المصدر، في 21.05.2018؛ إن النسبة 2.5 بالمئة. وأضاف أن U.S.A وافقت."
    assert _texts(text, split_sentences(text)) == [
        "قال المصدر، في 21.05.2018؛ إن النسبة 2.5 بالمئة.",
        "وأضاف أن U.S.A وافقت.",
    ]


def test_split_on_arabic_question_mark_runs_quotes_and_lines() -> None:
    text = ('هل خرج التنظيم؟ قال "نعم." ثم ماذا؟! لا شيء… انتهى\nسطر بلا نقطة\n\n'
            "فقرة (أخيرة.) النهاية")
    assert _texts(text, split_sentences(text)) == [
        "هل خرج التنظيم؟",
        'قال "نعم."',
        "ثم ماذا؟!",
        "لا شيء…",
        "انتهى",
        "سطر بلا نقطة",
        "فقرة (أخيرة.)",
        "النهاية",
    ]


def test_guillemets_close_a_sentence() -> None:
    text = "قال: «انتهى الأمر.» وغادر."
    assert _texts(text, split_sentences(text)) == ["قال: «انتهى الأمر.»", "وغادر."]


def test_double_dot_splits_but_initials_do_not() -> None:
    text = "عملية تبادل.. وتطورات حاسمة. وصرّح د. أحمد بذلك."
    assert _texts(text, split_sentences(text)) == [
        "عملية تبادل..", "وتطورات حاسمة.", "وصرّح د. أحمد بذلك."]


def test_bundled_pull_quote_is_its_own_sentence() -> None:
    article = next(a for a in BUNDLED if a.id.startswith("001"))
    sentences = _texts(article.text, split_sentences(article.text))
    [pull_quote] = [s for s in sentences if s.startswith("يحاول النظام التملّص")]
    assert pull_quote.endswith("أحياء جنوب دمشق")  # no full stop: ended by the line break


def _check_passages(article_id: str, text: str, sentences: list[Span], passages: list[Passage],
                    max_chars: int, max_sentences: int, overlap: int) -> None:
    if not sentences:
        assert passages == []
        return
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    assert passages[0].first == 0
    assert passages[-1].last == len(sentences) - 1
    covered: set[int] = set()
    for p in passages:
        assert p.article_id == article_id
        assert 0 <= p.first <= p.last < len(sentences)
        assert (p.start, p.end) == (sentences[p.first].start, sentences[p.last].end)
        count = p.last - p.first + 1
        assert count <= max_sentences
        assert p.end - p.start <= max_chars or count == 1  # only a lone long sentence exceeds
        covered.update(range(p.first, p.last + 1))
    assert covered == set(range(len(sentences)))
    for before, after in itertools.pairwise(passages):
        assert after.first > before.first  # always advances
        assert after.last > before.last  # and always brings in a new sentence
        shared = before.last - after.first + 1
        assert 0 <= shared <= overlap
        if shared < overlap and before.last - before.first + 1 > overlap:
            # overlap was dropped only because the window could not hold it with a new one
            assert (
                sentences[before.last + 1].end - sentences[before.last - overlap + 1].start
                > max_chars
                or overlap + 1 > max_sentences
            )


@pytest.mark.parametrize(("max_chars", "max_sentences", "overlap"),
                         [(700, 4, 1), (200, 3, 2), (120, 2, 1), (50, 4, 0), (5000, 1, 0)])
@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_passage_properties(text: str, max_chars: int, max_sentences: int, overlap: int) -> None:
    sentences = split_sentences(text)
    passages = make_passages("a", text, sentences, max_chars, max_sentences, overlap)
    _check_passages("a", text, sentences, passages, max_chars, max_sentences, overlap)


def test_default_windows_share_one_sentence() -> None:
    text = " ".join(f"جملة رقم {i}." for i in range(10))
    sentences = split_sentences(text)
    passages = make_passages("a", text, sentences)
    assert [(p.first, p.last) for p in passages] == [(0, 3), (3, 6), (6, 9)]


def test_long_sentence_is_a_passage_of_its_own() -> None:
    long = "كلمة " * 200 + "."
    text = f"قصيرة أولى. {long} قصيرة ثانية. قصيرة ثالثة."
    sentences = split_sentences(text)
    passages = make_passages("a", text, sentences, max_chars=100)
    assert [(p.first, p.last) for p in passages] == [(0, 0), (1, 1), (2, 3)]
    assert text[passages[1].start:passages[1].end] == long.strip()


@pytest.mark.parametrize(("max_chars", "max_sentences", "overlap"),
                         [(0, 4, 1), (700, 0, 0), (700, 4, 4), (700, 4, -1)])
def test_bad_window_settings_are_refused(max_chars: int, max_sentences: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        make_passages("a", "نص.", [Span(0, 3)], max_chars, max_sentences, overlap)


@pytest.mark.parametrize("article", BUNDLED, ids=lambda a: a.id[:3])
def test_segment_bundled_articles(article: Article) -> None:
    sentences, passages = split_article(article)
    assert len(sentences) >= 5
    _check_passages(article.id, article.text, sentences, passages, 700, 4, 1)
