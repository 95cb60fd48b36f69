"""Arabic-aware terms for lexical matching.

Normalisation here is for *matching only*: it folds spelling variants that news
writers use interchangeably (diacritics, tatweel, أ/إ/آ/ا, ى/ي, ة/ه) so that BM25 sees
one term. Quotes are always cut from the untouched article text, never from this.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                       "ؤ": "و", "ئ": "ي"})
_ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
# و/ف ("and"/"so") glued to the article ال: Snowball's Arabic stemmer strips وبال and
# لل but not وال or فال, so والنظام would never match النظام. Three letters after ال at
# least, so والد ("father") and والي ("governor") stay whole.
_CONJUNCTION_ARTICLE = re.compile("^[وف](?=ال.{3})")

# Function words that carry no topic. Written already normalised (see _FOLD).
ARABIC_STOPWORDS = frozenset("""
في من الي علي عن ان او ثم حتي مع بين عند لدي منذ خلال ضمن نحو قبل بعد فوق تحت حول هو هي
هم هن انا نحن انت انتم هذا هذه ذلك تلك هولاء اولئك الذي التي الذين اللذين اللتين ما ماذا
متي اين كيف كم هل لماذا اي لم لن لا قد كان كانت يكون تكون كانوا ليس ليست و ف ب ل ك ال كل
بعض غير سوي اما الا لكن بل اذا اذ لو لولا كما مثل عبر وفق لدي به بها له لها لهم فيه فيها
منه منها عليه عليها اليه اليها عنه عنها وقد وهو وهي ولم ان انه انها تم التي الي وفي ومن
وان
""".split())
ENGLISH_STOPWORDS = frozenset("""
a an the of to in on at by for from with about into over after before between under is
are was were be been being do does did have has had will would can could should may what
which who whom whose where when why how whether if or and but not no nor so than that
this these those there here it its he she they them his her their we you i me my as up
out any all some such only own same other more most very just also too
""".split())


def _strip_marks(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text).replace(_TATWEEL, "")
    return text.translate(_ARABIC_INDIC).lower()


def normalise(text: str) -> str:
    """Fold spelling variants for matching (never for display)."""
    return _strip_marks(text).translate(_FOLD)


@lru_cache(maxsize=1)
def _stemmers() -> tuple[Stemmer.Stemmer, Stemmer.Stemmer]:
    return Stemmer.Stemmer("arabic"), Stemmer.Stemmer("english")


def has_arabic(text: str) -> bool:
    return _ARABIC_LETTER.search(text) is not None


def terms(text: str) -> list[str]:
    """Normalised, stemmed content terms of ``text`` (Arabic and Latin)."""
    arabic, english = _stemmers()
    out: list[str] = []
    # Snowball's Arabic stemmer reads hamza and ta marbuta to find affixes (وأكد → اكد,
    # but واكد stays), so it sees the word with only marks removed; letters are folded after.
    for word in _TOKEN.findall(_strip_marks(text)):
        folded = word.translate(_FOLD)
        if folded in ARABIC_STOPWORDS or folded in ENGLISH_STOPWORDS:
            continue
        if has_arabic(word):
            stem = arabic.stemWord(_CONJUNCTION_ARTICLE.sub("", word)).translate(_FOLD)
            # Snowball can strip a short word to almost nothing; keep the word then.
            out.append(stem if len(stem) >= 2 else folded)
        else:
            out.append(english.stemWord(word))
    return out
