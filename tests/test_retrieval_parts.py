"""Retrieval building blocks checked against plain reference implementations."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from isnad.retrieval.arabic import fold, terms
from isnad.retrieval.calibration import fit_threshold, load_calibration
from isnad.retrieval.dedup import NEAR_DUPLICATE, PERMUTATIONS, UNSORTED_ROWS, SignatureSet
from isnad.retrieval.fusion import reciprocal_rank_fusion
from isnad.retrieval.local.lexical import LexicalIndex
from isnad.retrieval.local.vectors import VectorIndex


def test_normalise_folds_spelling_variants_only_for_matching():
    assert fold("إِجْلاءُ") == fold("اجلاء")
    assert fold("المـــنطقة") == fold("المنطقه")
    assert fold("مستشفى") == fold("مستشفي")
    assert fold("آخر") == fold("اخر")
    assert fold("٢٠١٨") == "2018"


@pytest.mark.parametrize(("a", "b"), [
    ("المُحاصرة", "محاصرة"),
    ("وأكّدت", "أكدت"),
    ("الاتفاقية", "اتفاقية"),
    ("التنظيم", "تنظيم"),
    ("والنظام", "النظام"),  # "and the regime": Snowball alone leaves وال on
    ("فالمدنيين", "المدنيين"),
    ("والأهالي", "الأهالي"),
])
def test_terms_match_inflected_and_decorated_forms(a, b):
    assert terms(a) == terms(b)


@pytest.mark.parametrize("word", ["والد", "والي"])
def test_short_words_that_start_like_and_the_keep_their_first_letter(word):
    # والد is "father", not و + ال + د: its terms must not collapse to a letter.
    assert terms(word) != terms(word[1:]) and len(terms(word)[0]) >= 3


def test_terms_drop_function_words_in_both_languages():
    assert terms("في من إلى على the of to") == []
    assert "sy24" in terms("مصادر لـ SY24")


def _reference_bm25(docs: list[list[str]], query: list[str], k1=1.5, b=0.75) -> list[float]:
    """Lucene's BM25 (bm25s' default method), written out term by term. Lucene drops
    the constant (k1 + 1) factor of the textbook formula; it changes no ranking."""
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    scores = []
    for doc in docs:
        s = 0.0
        for term in set(query):
            df = sum(term in d for d in docs)
            if df == 0:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = doc.count(term)
            s += idf * tf / (tf + k1 * (1 - b + b * len(doc) / avgdl))
        scores.append(s)
    return scores


def test_lexical_index_ranks_like_reference_bm25(tmp_path):
    rng = random.Random(7)
    vocabulary = [f"w{i}" for i in range(40)]
    docs = [[rng.choice(vocabulary) for _ in range(rng.randint(3, 30))] for _ in range(60)]
    ids = [1000 + i for i in range(len(docs))]
    index = LexicalIndex.build(ids, docs)
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    for _ in range(20):
        query = rng.sample(vocabulary, 3)
        expected = _reference_bm25(docs, query)
        got = dict(loaded.search(query, k=len(docs)))
        for row, score in enumerate(expected):
            assert got.get(ids[row], 0.0) == pytest.approx(score, rel=1e-4, abs=1e-5)


def test_lexical_index_unknown_terms_find_nothing():
    index = LexicalIndex.build([1, 2], [["a", "b"], ["c"]])
    assert index.search(["zzz"], k=5) == []
    assert index.search([], k=5) == []


def test_vector_index_matches_brute_force_and_survives_removal(tmp_path):
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(200, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(500, 700)
    index = VectorIndex.empty(16)
    index.add(ids, vectors)
    index.save(tmp_path / "v.faiss")
    index = VectorIndex.load(tmp_path / "v.faiss")
    query = vectors[17] + 0.1 * rng.normal(size=16).astype(np.float32)
    brute = np.argsort(-(vectors @ query))[:10]
    assert [pid for pid, _ in index.search(query, 10)] == list(ids[brute])
    assert index.remove(np.array([ids[brute[0]]])) == 1
    assert [pid for pid, _ in index.search(query, 9)] == list(ids[brute[1:]])
    np.testing.assert_allclose(index.vectors([int(ids[5])])[0], vectors[5], rtol=1e-6)


def brute_force_closest(ids: list[str | None], matrix: np.ndarray, signature: np.ndarray,
                        exclude: str | None) -> tuple[str, float] | None:
    """The reference: every stored signature compared slot by slot."""
    agreement = (matrix[:len(ids)] == signature).mean(axis=1)
    usable = np.array([a not in (None, exclude) for a in ids]) & (agreement >= NEAR_DUPLICATE)
    if not usable.any():
        return None
    row = int(np.argmax(np.where(usable, agreement, -1)))  # the first of the best
    return str(ids[row]), float(agreement[row])


def test_near_duplicate_lookup_finds_what_comparing_every_signature_finds():
    rng = np.random.default_rng(3)
    signatures = SignatureSet()
    ids: list[str | None] = []
    matrix = np.zeros((UNSORTED_ROWS * 2 + 500, PERMUTATIONS), dtype=np.uint32)
    checked = 0
    for i in range(len(matrix)):  # through the sorted bands and the rows after them
        if ids and rng.random() < 0.3:  # a variant of an earlier article
            signature = matrix[int(rng.integers(len(ids)))].copy()
            changed = rng.choice(PERMUTATIONS, int(rng.integers(0, 40)), replace=False)
            signature[changed] = rng.integers(0, 2**32, len(changed), dtype=np.uint32)
        else:
            signature = rng.integers(0, 2**32, PERMUTATIONS, dtype=np.uint32)
        if ids and (i % 7 == 0 or i > UNSORTED_ROWS * 2):
            exclude = ids[int(rng.integers(len(ids)))]
            match = signatures.closest(signature, exclude=exclude)
            expected = brute_force_closest(ids, matrix, signature, exclude)
            assert (match and (match.article_id, match.similarity)) == expected
            checked += expected is not None
        signatures.add(f"a{i}", signature)
        matrix[i] = signature
        ids.append(f"a{i}")
        if i % 1000 == 999:  # a removed article is never matched again
            victim = ids[int(rng.integers(len(ids)))]
            signatures.discard(str(victim))
            ids = [None if a == victim else a for a in ids]
    assert checked > 100
    # And a set read back from storage, as a write starts with it, finds the same.
    kept = [(str(a), matrix[row].tobytes()) for row, a in enumerate(ids) if a is not None]
    reread = SignatureSet(kept)
    reread_matrix = np.array([np.frombuffer(blob, dtype=np.uint32) for _, blob in kept])
    for row in rng.choice(len(kept), 200, replace=False):
        signature = reread_matrix[row].copy()
        signature[:int(rng.integers(0, 30))] = 7
        match = reread.closest(signature)
        expected = brute_force_closest([a for a, _ in kept], reread_matrix, signature, None)
        assert (match and (match.article_id, match.similarity)) == expected


def test_rrf_rewards_agreement_and_respects_weights():
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    lexical = [(3, 12.0), (4, 9.0)]
    fused = [doc for doc, _ in reciprocal_rank_fusion([(1.0, dense), (1.0, lexical)])]
    assert fused[0] == 3  # found by both
    only_dense = [doc for doc, _ in reciprocal_rank_fusion([(1.0, dense), (0.0, lexical)])]
    assert only_dense[:3] == [1, 2, 3]


def test_threshold_keeps_the_required_share_of_answerable_questions():
    rng = random.Random(7)
    answerable = [rng.uniform(0.3, 0.9) for _ in range(40)]
    unanswerable = [rng.uniform(0.0, 0.6) for _ in range(20)]
    scores = [(s, True) for s in answerable] + [(s, False) for s in unanswerable]
    for recall in (1.0, 0.95, 0.8):
        fit = fit_threshold(scores, recall)
        kept = sum(s >= fit.threshold for s in answerable) / len(answerable)
        assert kept == fit.answer_recall >= recall
        # The highest such cut: one step higher would lose too many answerable ones.
        next_kept = sorted(s for s in answerable if s >= fit.threshold)[1:]
        assert len(next_kept) / len(answerable) < recall
        assert fit.abstention_rate == sum(s < fit.threshold
                                          for s in unanswerable) / len(unanswerable)
    # No question scores exactly on the cut: it sits between two questions' scores.
    assert all(s != fit_threshold(scores).threshold for s, _ in scores)
    with pytest.raises(ValueError):
        fit_threshold([(0.2, False)])


def test_every_shipped_model_has_a_threshold():
    from isnad.embeddings.factory import KNOWN_MODELS

    for name in KNOWN_MODELS:
        if name == "minilm":  # English only, for tests: never calibrated on Arabic news
            continue
        assert 0.0 < load_calibration(name)["abstain_below"] < 1.0
