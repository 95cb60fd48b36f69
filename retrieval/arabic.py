"""Arabic-aware terms for lexical matching, and what counts as Arabic.

Folding here is for *matching only*: it removes and merges spelling variants that news
writers use interchangeably (diacritics, tatweel, أ/إ/آ/ا, ى/ي, ة/ه, the hamza seats
ؤ/ئ, Arabic-Indic digits) so that BM25 sees one term. Quotes are always cut from the
untouched article text, never from this. The character tables it shares with the
corpus's label keys come from corpus/textnorm.py; what is stored in the index depends
on them (FORMAT_VERSION), so any change to either is a format change.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

from ..corpus.textnorm import ARABIC_MARKS, LETTER_FOLD, TATWEEL

#: Every block of the Arabic script: Persian, Urdu and Pashto letters, Arabic-Indic
#: digits and presentation forms included. Which script a question is written in
#: (language.py) counts these.
ARABIC_SCRIPT = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
#: The letters of Arabic itself (hamza to ya), a subset of the script: whether a text
#: holds Arabic words (``has_arabic``: the weight BM25 gets, a quote's direction mark).
ARABIC_LETTERS = "\u0621-\u064a"

_DIACRITICS = re.compile(f"[{ARABIC_MARKS}]")
# Terms also fold the hamza seats: scraped text often drops the hamza from its waw or ya
# («مسؤول» / «مسوول»), and BM25 should see one term (labels do not: see
# textnorm.LETTER_FOLD).
_FOLD = str.maketrans({**LETTER_FOLD, "ؤ": "و", "ئ": "ي"})
_ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_ARABIC_LETTER = re.compile(f"[{ARABIC_LETTERS}]")
# و/ف ("and"/"so") glued to the article ال: Snowball's Arabic stemmer strips وبال and
# لل but not وال or فال, so والنظام would never match النظام. Three letters after ال at
# least, so والد ("father") and والي ("governor") stay whole.
_CONJUNCTION_ARTICLE = re.compile("^[وف](?=ال.{3})")

# Function words that carry no topic. Written already folded (see _FOLD).
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
    text = _DIACRITICS.sub("", text).replace(TATWEEL, "")
    return text.translate(_ARABIC_INDIC).lower()


def fold(text: str) -> str:
    """``text`` with spelling variants folded, for matching (never for display)."""
    return _strip_marks(text).translate(_FOLD)


@lru_cache(maxsize=1)
def _stemmers() -> tuple[Stemmer.Stemmer, Stemmer.Stemmer]:
    return Stemmer.Stemmer("arabic"), Stemmer.Stemmer("english")


def has_arabic(text: str) -> bool:
    """Whether ``text`` holds an Arabic letter (one of ARABIC_LETTERS)."""
    return _ARABIC_LETTER.search(text) is not None


def terms(text: str) -> list[str]:
    """Folded, stemmed content terms of ``text`` (Arabic and Latin)."""
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
