"""Every message renders in both languages, with counted words in the right form."""

from __future__ import annotations

import re
import string

import pytest

from isnad.prompts import CLI_MESSAGES, MESSAGES, cli_t, t
from isnad.prompts.bot import BOT_MESSAGES, bot_t
from isnad.prompts.plurals import COUNTED, counted

COUNTS = [0, 1, 2, 3, 10, 11, 100]


@pytest.mark.parametrize(("n", "expected"), list(zip(COUNTS, [
    "انتظر 0 ثانية", "انتظر ثانية واحدة", "انتظر ثانيتين", "انتظر 3 ثوانٍ",
    "انتظر 10 ثوانٍ", "انتظر 11 ثانية", "انتظر 100 ثانية"], strict=True)))
def test_the_arabic_wait_takes_the_form_of_its_number(n, expected):
    assert expected in bot_t("rate_limited", "ar", seconds=n)


@pytest.mark.parametrize(("n", "expected"), list(zip(COUNTS, [
    "(0 حرف،", "(حرف واحد،", "(حرفان،", "(3 أحرف،", "(10 أحرف،", "(11 حرفاً،", "(100 حرف،"],
    strict=True)))
def test_the_arabic_length_takes_the_form_of_its_number(n, expected):
    assert expected in t("question_too_long", "ar", length=n, limit=1000)


def test_the_rules_are_cldr_ones_not_a_range_of_three_to_ten():
    # 103–110 take the "few" form and 111–199 the "many" one, as 3–10 and 11–99 do.
    assert counted("seconds", 103, "ar") == "103 ثوانٍ"
    assert counted("seconds", 111, "ar") == "111 ثانية"
    assert counted("characters", 1011, "ar") == "1011 حرفاً"
    assert counted("characters", 1000, "ar") == "1000 حرف"


def test_english_counts():
    assert counted("seconds", 1, "en") == "1 second"
    assert counted("seconds", 2, "en") == "2 seconds"
    assert counted("seconds", "1.0", "en") == "1.0 seconds"  # shown decimals count
    assert bot_t("start_corpus", "en", articles=1, outlets=1, dates="") == \
        "The index holds 1 article from 1 outlet. "


def test_every_counted_word_has_all_six_arabic_forms():
    for word, forms in COUNTED.items():
        assert set(forms["ar"]) == {"zero", "one", "two", "few", "many", "other"}, word
        assert set(forms["en"]) == {"one", "other"}, word


def fields(template: str) -> set[str]:
    names = {m.group(1) for m in re.finditer(r"\{(\w+)\|\w+\}", template)}
    plain = re.sub(r"\{\w+\|\w+\}", "", template)
    return names | {name for _, name, _, _ in string.Formatter().parse(plain) if name}


@pytest.mark.parametrize(("messages", "render"), [(MESSAGES, t), (BOT_MESSAGES, bot_t)])
@pytest.mark.parametrize("n", COUNTS)
def test_every_message_renders_for_every_count(messages, render, n):
    for key, entry in messages.items():
        for language in ("en", "ar"):
            params = dict.fromkeys(fields(entry[language]), n)
            text = render(key, language, **params)
            assert "{" not in text and "|" not in text, (key, language, text)


def test_every_maintainer_message_renders_on_one_line():
    for key, template in CLI_MESSAGES.items():
        text = cli_t(key, **dict.fromkeys(fields(template), "x"))
        assert "{" not in text and "\n" not in text, key
