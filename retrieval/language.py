"""Which language a question is in: "ar", "en" or "other".

A classifier decides, not character counting: py3langid, the maintained fork of
langid.py (a Naive Bayes model over byte n-grams; a 4.6 MB wheel, numpy only, about
0.05 ms a question once its model is loaded, which takes about a second, once per
process). It is restricted to the languages a question to Isnad is likely to be in, so
Persian, Urdu or Pashto (same script as Arabic) and German, Turkish or Indonesian (same
script as English) are told apart from the two Isnad serves.

Script comes first: a question mostly in neither the Arabic nor the Latin script is
"other" at once; a question that mixes the two (an Arabic question naming SY24, an
English one quoting «بيار القصب») is judged by the words of the script it has more
letters of, so a name in the other script does not decide. A question is "other"
only when the classifier is confident it is in one particular other language; too
short or too unusual a text for it to be sure of (a lone name: «داعش», "Douma") is
taken as the language of its script that Isnad serves, Arabic or English.
"""

from __future__ import annotations

import re
import threading

ARABIC_SCRIPT = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_ARABIC_WORD = re.compile(f"[{ARABIC_SCRIPT}]+")
_LATIN_WORD = re.compile("[A-Za-z\u00c0-\u024f]+")
_LETTER = re.compile(r"[^\W\d_]")

#: The classifier's languages, by script.
ARABIC_SCRIPT_LANGUAGES = ("ar", "arz", "ary", "fa", "ur", "ps", "ug", "sdh")
LATIN_SCRIPT_LANGUAGES = ("en", "de", "tr", "id", "ms", "fr", "es", "it", "pt", "nl",
                          "sv", "da", "no", "pl", "ro", "sw", "tl", "az", "ku")
#: Languages the classifier tells apart that are one language here: Egyptian and
#: Moroccan Arabic are Arabic; Malay and Indonesian share most of their words.
SAME = {"arz": "ar", "ary": "ar", "ms": "id"}
#: How sure the classifier must be (probability over the languages above, after
#: SAME) that a question is in another language before Isnad calls it "other". Set on
#: 2,745 Arabic questions (XQuAD, TyDi QA, ARCD, Isnad's own), 1,267 English ones and
#: 32 in Persian, Urdu, German, Turkish, Indonesian, French and Spanish: Arabic script
#: 0 Arabic taken as other, 12 / 12 Persian and Urdu caught (lowest 0.71); Latin
#: script 4 English taken as other, 20 / 20 caught. Arabic gets the higher bar: most
#: of Isnad's users write it, and "other" answers them in English.
MIN_CONFIDENCE = {"ar": 0.7, "en": 0.4}

_lock = threading.Lock()
_identifier = None


def _classifier():  # -> py3langid.langid.LanguageIdentifier
    global _identifier
    with _lock:  # the bot asks from several threads; load the model once
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(ARABIC_SCRIPT_LANGUAGES + LATIN_SCRIPT_LANGUAGES)
            _identifier = identifier
    return _identifier


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
    probabilities: dict[str, float] = {}
    for language, probability in _classifier().rank(" ".join(words)):
        if language in candidates:
            language = SAME.get(language, language)
            probabilities[language] = probabilities.get(language, 0.0) + float(probability)
    others = {lang: p for lang, p in probabilities.items() if lang != served}
    best_other = max(others, key=others.__getitem__)
    if (others[best_other] >= MIN_CONFIDENCE[served]
            and others[best_other] > probabilities[served]):
        return "other"
    return served
