"""Reading and cleaning articles: the bundled pages, outlets, and every reader path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from isnad.corpus import (
    Article,
    CorpusError,
    bundled_corpus_dir,
    canonical_outlet,
    parse_news_text,
    read_articles,
)
from isnad.corpus.dates import parse_date
from isnad.corpus.outlets import find_outlet_in

BUNDLED = sorted(bundled_corpus_dir().glob("*.txt"))

# id prefix → (title, source, published, body starts with, body ends with)
EXPECTED = {
    "000": ("عملية تبادل بين داعش والنظام.. وتطورات قد تكون الحاسمة في جنوب دمشق", "SY24", None,
            "أكّدت مصادر محلية", "جوعاً ومرضاً."),
    "001": ('هل خرج تنظيم "الدولة" مِن جنوب دمشق وما أسباب نفي النظام؟', "تلفزيون سوريا",
            "2018-05-21", "تتواصل الأنباء", "إلى الشمال السوري."),
    "002": ("تدهور عسكري وأمني تشهده مناطق سيطرة داعش جنوب دمشق.", "صوت العاصمة", None,
            "تشهد المناطق", "عشرين يوماً ."),
    "003": (None, "صوت العاصمة", None, "تجري مفاوضات", "من الاستهداف الجوي."),
    "004": ("أورينت نت تكشف: لم يخرج مقاتل واحد من دمشق والاتفاق مع داعش معلّق", "أورينت نت",
            None, "سوقت وسائل إعلام", "لاستلام أمن المخيم ."),
}
BOILERPLATE = ("Facebook", "WhatsApp", "Telegram", "مقالات ذات صلة", "مقالات مقترحة",
               "التعليقات", "اترك تعليق", "الأكثر قراءة", "أهم المواضيع", "تاريخ النشر",
               "آخر تحديث", "صوت العامة – خاص", "خاص - SY24")


def _parse(path: Path) -> Article:
    return parse_news_text(path.read_text(encoding="utf-8"), path.stem)


def test_bundled_corpus_has_five_pages() -> None:
    assert [p.name[:3] for p in BUNDLED] == sorted(EXPECTED)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem[:3])
def test_bundled_page_metadata_and_body_bounds(path: Path) -> None:
    title, source, published, head, tail = EXPECTED[path.name[:3]]
    article = _parse(path)
    assert article.id == path.stem
    assert (article.title, article.source, article.published, article.url) == (
        title, source, published, None)
    assert article.text.startswith(head)
    assert article.text.endswith(tail)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem[:3])
def test_bundled_clean_text_is_a_verbatim_slice_without_furniture(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    article = _parse(path)
    assert article.text in raw
    assert article.text == article.text.strip()
    for junk in BOILERPLATE:
        assert junk not in article.text, junk


def test_pull_quote_inside_the_body_is_kept() -> None:
    path = next(p for p in BUNDLED if p.name.startswith("001"))
    lines = path.read_text(encoding="utf-8").split("\n")
    pull_quote = lines[20]  # line 21; it holds a no-break space, so it is read, not typed
    assert pull_quote.startswith("يحاول النظام")
    assert f"\n\n{pull_quote}\n\n{lines[22]}" in _parse(path).text


def test_suggested_headlines_after_the_trailer_are_cut() -> None:
    article = _parse(next(p for p in BUNDLED if p.name.startswith("001")))
    assert "قصة نجاح لسلطة الصحافة" not in article.text
    assert "كورونا" not in article.text


def test_crafted_page_with_every_kind_of_furniture() -> None:
    raw = (
        "\ufeffبحث\n"
        "عنوان الخبر التجريبي\n"
        "مشاركة\n"
        "Facebook | X | Email | طباعة\n"
        "عنوان الخبر التجريبي\n"
        "تاريخ النشر: ٢١/٠٥/٢٠١٨ - 10:00\n"
        "آخر تحديث: 22/05/2018\n"
        "دمشق — SY24\n"
        "المصدر: https://example.org/news/1\n"
        "\n"
        "  الفقرة الأولى من الخبر. وفيها جملة ثانية.\n"
        "\n"
        "الفقرة الثانية.   \n"
        "\n"
        "Telegram\n"
        "اقرأ أيضاً:\n"
        "عنوان خبر آخر\n"
    )
    article = parse_news_text(raw, "crafted")
    assert article.title == "عنوان الخبر التجريبي"
    assert article.source == "SY24"
    assert article.published == "2018-05-21"
    assert article.url == "https://example.org/news/1"
    assert article.text == "الفقرة الأولى من الخبر. وفيها جملة ثانية.\n\nالفقرة الثانية."
    assert article.text in raw


def test_page_opening_with_an_outlet_line_has_no_title() -> None:
    article = parse_news_text("تلفزيون سوريا\nنص الخبر كاملاً هنا.\n", "x")
    assert article.title is None
    assert article.source == "تلفزيون سوريا"
    assert article.text == "نص الخبر كاملاً هنا."


def test_unknown_byline_outlet_is_kept_as_written() -> None:
    article = parse_news_text("عنوان\n\nخاص – وكالة المستقبل \nنص الخبر.\n", "x")
    assert article.source == "وكالة المستقبل"


def test_inline_trailer_words_inside_the_body_do_not_cut_it() -> None:
    raw = "عنوان\n\nقال إن الأكثر قراءة هذا الأسبوع كان خبراً آخر.\nوتابع الحديث عن التعليقات.\n"
    article = parse_news_text(raw, "x")
    assert article.text.endswith("وتابع الحديث عن التعليقات.")


@pytest.mark.parametrize(
    "raw", ["", "\n\n", "بحث\nعنوان فقط\n", "عنوان\nFacebook\nمقالات ذات صلة\n"])
def test_page_without_body_raises(raw: str) -> None:
    with pytest.raises(CorpusError, match="no article body"):
        parse_news_text(raw, "x")


def test_widgets_and_invisible_marks_above_the_body() -> None:
    raw = "🔴 عاجل\n1520\n\u200fخاص - SY24\u200f\nنص الخبر هنا.\n💬 التعليقات\nتعليق قارئ\n"
    article = parse_news_text(raw, "x")
    assert article.title is None  # a widget label is not a headline
    assert article.source == "SY24"
    assert article.text == "نص الخبر هنا."


def test_footer_link_and_share_bar_before_the_trailer() -> None:
    raw = "عنوان\n\nنص الخبر.\n\nX | Telegram\nالمصدر: https://a.example/n/1\n\n0\nخبر آخر\n"
    article = parse_news_text(raw, "x")
    assert article.text == "نص الخبر."
    assert article.url == "https://a.example/n/1"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("تاريخ النشر: 21.05.2018 | 11:05 دمشق", "2018-05-21"),
        ("٢١/٠٥/٢٠١٨", "2018-05-21"),
        ("2018-05-21T09:30:00+03:00", "2018-05-21"),
        ("نُشر في 13 نيسان 2018", "2018-04-13"),
        ("21 مايو، 2018", "2018-05-21"),
        ("31.02.2018", None),  # impossible dates are not guessed into valid ones
        ("قبل ساعتين", None),
    ],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


# --- outlets -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("صوت العامة", "صوت العاصمة"),  # one deletion
        ("  صوت   العاصمة ", "صوت العاصمة"),
        ("اورينت نت", "أورينت نت"),  # alef form
        ("Orient Net", "أورينت نت"),
        ("تلفزيون سورية", "تلفزيون سوريا"),  # one substitution
        ("sy24", "SY24"),
        ("الجزيرة ", "الجزيرة"),  # unknown: as written, stripped
        ("صوت الشعب", "صوت الشعب"),  # far from any known name
    ],
)
def test_canonical_outlet(written: str, canonical: str) -> None:
    assert canonical_outlet(written) == canonical


def test_find_outlet_in_title() -> None:
    assert find_outlet_in("أورينت نت تكشف: لم يخرج مقاتل واحد") == "أورينت نت"
    assert find_outlet_in("مصادر لـSY24: اتفاق قريب") == "SY24"
    assert find_outlet_in("تدهور عسكري وأمني جنوب دمشق") is None
    assert find_outlet_in("صوت العامة تكشف") is None  # fuzzy matching is for bylines only


# --- readers -------------------------------------------------------------------------

def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PAGE = "عنوان الخبر\n\nخاص - SY24\n\nنص الخبر الأول. ونص ثانٍ.\n"


def test_bundled_corpus_reads_cleanly() -> None:
    result = read_articles([bundled_corpus_dir()])
    assert result.problems == []
    assert [a.id for a in result.articles] == [p.stem for p in BUNDLED]
    assert all(a.origin and a.origin.endswith(".txt") for a in result.articles)


def test_jsonl_good_and_bad_lines(tmp_path: Path) -> None:
    good = {"id": "a1", "title": "T", "source": "Syria TV", "url": "https://x.org/1",
            "published": "21.05.2018", "text": "  نص أول.  "}
    lines = [
        json.dumps(good, ensure_ascii=False),
        "",
        "{not json",
        json.dumps({"id": "a2"}),
        json.dumps({"text": "بلا معرف"}),
        json.dumps(["a", "list"]),
        json.dumps({"id": "a3", "text": "نص ثالث."}),
    ]
    path = _write(tmp_path / "set.jsonl", "\n".join(lines) + "\n")
    result = read_articles([path])
    assert [a.id for a in result.articles] == ["a1", "a3"]
    first = result.articles[0]
    assert first.text == "نص أول."
    assert (first.title, first.source, first.published, first.url) == (
        "T", "تلفزيون سوريا", "2018-05-21", "https://x.org/1")
    assert result.articles[1].metadata() == dict.fromkeys(("title", "source", "published", "url"))
    wheres = [p.where for p in result.problems]
    assert wheres == [f"{path}:3", f"{path}:4", f"{path}:5", f"{path}:6"]
    messages = [p.message for p in result.problems]
    assert "not JSON" in messages[0]
    assert "'text'" in messages[1]
    assert "'id'" in messages[2]


def test_jsonl_bad_published_is_reported_and_article_kept(tmp_path: Path) -> None:
    path = _write(tmp_path / "set.jsonl", json.dumps({"id": "a", "text": "نص.",
                                                      "published": "yesterday"}))
    result = read_articles([path])
    assert [a.published for a in result.articles] == [None]
    assert [(p.where, "not a date" in p.message) for p in result.problems] == [(f"{path}:1", True)]


def test_sidecar_overrides_parsed_metadata_and_null_clears(tmp_path: Path) -> None:
    page = _write(tmp_path / "p1.txt", PAGE)
    _write(tmp_path / "p1.meta.json", json.dumps(
        {"title": None, "source": "Orient Net", "published": "2019-01-02",
         "url": "https://o.net/1"}))
    result = read_articles([tmp_path])
    assert result.problems == []
    [article] = result.articles
    assert article.id == "p1"
    assert article.origin == str(page)
    assert (article.title, article.source, article.published, article.url) == (
        None, "أورينت نت", "2019-01-02", "https://o.net/1")


def test_bad_sidecar_values_are_reported_and_parsed_ones_kept(tmp_path: Path) -> None:
    _write(tmp_path / "p1.txt", PAGE)
    _write(tmp_path / "p1.meta.json", json.dumps(
        {"published": "soon", "source": 24, "titel": "typo", "url": "https://x.org/3"}))
    result = read_articles([tmp_path])
    [article] = result.articles
    assert (article.source, article.published, article.url) == ("SY24", None, "https://x.org/3")
    messages = " | ".join(p.message for p in result.problems)
    assert "titel" in messages and "'source'" in messages and "not a date" in messages


def test_sidecar_keeps_parsed_values_for_absent_keys(tmp_path: Path) -> None:
    _write(tmp_path / "p1.txt", PAGE)
    _write(tmp_path / "p1.meta.json", json.dumps({"url": "https://x.org/2"}))
    [article] = read_articles([tmp_path / "p1.txt"]).articles
    assert (article.title, article.source, article.url) == ("عنوان الخبر", "SY24",
                                                             "https://x.org/2")


def test_bad_sidecar_is_reported_and_article_kept(tmp_path: Path) -> None:
    _write(tmp_path / "p1.txt", PAGE)
    _write(tmp_path / "p1.meta.json", "{broken")
    result = read_articles([tmp_path])
    [article] = result.articles
    assert article.source == "SY24"
    [problem] = result.problems
    assert problem.where == str(tmp_path / "p1.meta.json")
    assert "JSON" in problem.message


def test_non_utf8_empty_and_missing(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("عنوان\nنص".encode("cp1256"))
    empty = _write(tmp_path / "empty.txt", "")
    blank = _write(tmp_path / "blank.txt", " \n\n")
    missing = tmp_path / "missing.txt"
    result = read_articles([latin, empty, blank, missing])
    assert result.articles == []
    assert [(p.where, p.message) for p in result.problems] == [
        (str(latin), "not UTF-8 text"),
        (str(empty), "empty file"),
        (str(blank), "empty file"),
        (str(missing), "no such file or folder"),
    ]


def test_utf8_with_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + PAGE.encode("utf-8"))
    [article] = read_articles([path]).articles
    assert article.title == "عنوان الخبر"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_unreadable_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "locked.txt", PAGE)
    path.chmod(0)
    try:
        result = read_articles([path])
    finally:
        path.chmod(0o644)
    assert [p.message for p in result.problems] == ["cannot read: permission denied"]


def test_broken_link_in_a_folder_is_reported(tmp_path: Path) -> None:
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    result = read_articles([tmp_path])
    [problem] = result.problems
    assert problem.where == str(tmp_path / "gone.txt")
    assert problem.message.startswith("cannot read")


def test_odd_and_duplicate_ids(tmp_path: Path) -> None:
    odd = _write(tmp_path / "a" / "bad id!.txt", PAGE)
    first = _write(tmp_path / "a" / "same.txt", PAGE)
    second = _write(tmp_path / "b" / "same.txt", PAGE)
    lines = [json.dumps({"id": "x" * 129, "text": "نص."}), json.dumps({"id": "same", "text": "ن."})]
    jsonl = _write(tmp_path / "c.jsonl", "\n".join(lines))
    arabic = _write(tmp_path / "d" / "خبر_1.txt", PAGE)
    result = read_articles([tmp_path])
    assert [a.id for a in result.articles] == ["same", "خبر_1"]
    assert result.articles[0].origin == str(first)
    assert [p.where for p in result.problems] == [
        str(odd), str(second), f"{jsonl}:1", f"{jsonl}:2"]
    assert "invalid article id" in result.problems[0].message
    assert "duplicate article id 'same'" in result.problems[1].message
    assert str(first) in result.problems[1].message
    assert arabic.exists()


def test_folder_recursion_skips_hidden_sidecars_and_other_files(tmp_path: Path) -> None:
    _write(tmp_path / "b.txt", PAGE)
    _write(tmp_path / "b.meta.json", json.dumps({"title": "من الملف الجانبي"}))
    _write(tmp_path / "sub" / "deeper" / "a.txt", PAGE)
    _write(tmp_path / ".hidden.txt", PAGE)
    _write(tmp_path / ".git" / "c.txt", PAGE)
    _write(tmp_path / "notes.md", "# not an article")
    _write(tmp_path / "data.json", "{}")
    result = read_articles([str(tmp_path)])
    assert result.problems == []
    assert [a.id for a in result.articles] == ["b", "a"]  # sorted by path: b.txt < sub/
    assert result.articles[0].title == "من الملف الجانبي"


def test_explicit_unsupported_file_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.md", "# x")
    [problem] = read_articles([path]).problems
    assert "unsupported file type" in problem.message


def test_txt_without_body_is_a_problem(tmp_path: Path) -> None:
    path = _write(tmp_path / "nobody.txt", "عنوان\nFacebook\nمقالات ذات صلة\nخبر آخر\n")
    result = read_articles([path])
    assert result.articles == []
    assert result.problems[0].where == str(path)
    assert "no article body" in result.problems[0].message


NEWS_HTML = """<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<title>قوات النظام تحشد جنوب دمشق | تلفزيون سوريا</title>
<meta property="og:title" content="قوات النظام تحشد جنوب دمشق">
<meta property="og:site_name" content="Syria TV">
<meta property="og:url" content="https://www.syria.tv/news/12345">
<meta property="article:published_time" content="2018-04-20T09:30:00+03:00">
</head>
<body>
<header><nav><ul>
<li><a href="/">الرئيسية</a></li><li><a href="/news">أخبار</a></li>
<li><a href="/sport">رياضة</a></li><li><a href="/contact">اتصل بنا</a></li>
</ul></nav></header>
<main><article>
<h1>قوات النظام تحشد جنوب دمشق</h1>
<p>حشدت قوات النظام السوري تعزيزات عسكرية كبيرة في محيط مخيم اليرموك جنوب العاصمة دمشق،
استعداداً لعملية عسكرية ضد تنظيم الدولة المتمركز في المنطقة منذ سنوات.</p>
<p>وقال مصدر محلي لتلفزيون سوريا إن الحافلات وصلت إلى حي الزاهرة صباح اليوم، وإن المفاوضات
ما زالت متعثرة بسبب خلافات حول وجهة الخروج النهائية للمقاتلين وعائلاتهم.</p>
<p>وأضاف المصدر أن الأهالي يخشون من قصف جوي واسع في حال فشلت المفاوضات، مشيراً إلى أن
مئات العائلات غادرت المخيم خلال الأيام الماضية باتجاه بلدات يلدا وببيلا وبيت سحم.</p>
</article></main>
<aside><h3>الأكثر قراءة</h3><ul><li><a href="/a">خبر آخر لا علاقة له</a></li></ul></aside>
<footer><p>جميع الحقوق محفوظة © 2018 تلفزيون سوريا</p>
<p>سياسة الخصوصية | شروط الاستخدام</p></footer>
</body>
</html>
"""


def test_html_page_main_text_and_metadata(tmp_path: Path) -> None:
    path = _write(tmp_path / "syria-tv-12345.html", NEWS_HTML)
    result = read_articles([path])
    assert result.problems == []
    [article] = result.articles
    assert article.id == "syria-tv-12345"
    assert article.text.startswith("حشدت قوات النظام السوري")
    assert "باتجاه بلدات يلدا وببيلا وبيت سحم." in article.text
    for boilerplate in ("الرئيسية", "اتصل بنا", "الأكثر قراءة", "خبر آخر", "الحقوق محفوظة",
                        "سياسة الخصوصية"):
        assert boilerplate not in article.text
    assert article.title == "قوات النظام تحشد جنوب دمشق"
    assert article.source == "تلفزيون سوريا"
    assert article.published == "2018-04-20"
    assert article.url == "https://www.syria.tv/news/12345"


def test_html_metadata_not_on_the_page_stays_none(tmp_path: Path) -> None:
    body = "<p>" + "حشدت قوات النظام تعزيزات عسكرية كبيرة في محيط مخيم اليرموك. " * 4 + "</p>"
    path = _write(tmp_path / "bare.htm", f"<html><body><article>{body}</article></body></html>")
    _write(tmp_path / "bare.meta.json", json.dumps({"source": "صوت العامة"}))
    [article] = read_articles([path]).articles
    assert article.text.startswith("حشدت قوات النظام")
    assert (article.title, article.published, article.url) == (None, None, None)
    assert article.source == "صوت العاصمة"  # from the sidecar, canonicalised


def test_html_without_main_text_is_a_problem(tmp_path: Path) -> None:
    nav = "".join(f'<li><a href="/{i}">قسم {i}</a></li>' for i in range(10))
    path = _write(tmp_path / "menu.html",
                  f"<html><body><nav><ul>{nav}</ul></nav><footer>حقوق</footer></body></html>")
    result = read_articles([path])
    assert result.articles == []
    assert result.problems[0].message == "no main text found in the HTML page"
