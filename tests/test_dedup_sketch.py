"""Shingles, signatures and LSH banding, checked against datasketch and against their own theory."""
from __future__ import annotations

import random

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.dedup import signatures as signatures_module
from builder.dedup.lsh import band_keys, candidate_pairs, choose_bands, detection_curve, detection_probability
from builder.dedup.shingles import doc_key, doc_keys, shingle_hashes, sorted_unique
from builder.dedup.signatures import EMPTY, jaccard_estimate, signatures
from builder.normalize import key, split_dateline


def _words(rng: random.Random, n: int) -> list[str]:
    return [f"w{rng.randrange(10**9)}" for _ in range(n)]


def _pair_at(rng: random.Random, j: float, size: int = 400) -> tuple[list[str], list[str]]:
    """Two word lists whose 1-gram sets have Jaccard j (shared words + private words)."""
    shared = round(2 * size * j / (1 + j))
    common = _words(rng, shared)
    return common + _words(rng, size - shared), common + _words(rng, size - shared)


def test_shingles_are_the_hash_of_the_words_not_of_their_position():
    b = shingle_hashes(["a b c d e f", "", "x y", "zz a b c d e"], size=5, seed=1)
    assert list(np.diff(b.offsets)) == [2, 0, 1, 2]
    assert b.words.tolist() == [6, 0, 2, 6]
    assert b.of(0)[0] == b.of(3)[1]          # "a b c d e" in two documents
    assert b.of(0)[1] not in set(b.of(3))    # "b c d e f" only in the first
    assert sorted_unique(np.array([5, 1, 5, 3, 1], np.uint64)).tolist() == [1, 3, 5]
    other_seed = shingle_hashes(["a b c d e f"], size=5, seed=2)
    assert not set(other_seed.hashes) & set(b.of(0))


def test_shingles_do_not_depend_on_the_batch_they_are_hashed_in():
    rng = random.Random(3)
    keys = [" ".join(_words(rng, rng.randrange(0, 300))) for _ in range(60)]
    together = shingle_hashes(keys, 5, 1)
    for d in (0, 17, 59):
        assert np.array_equal(together.of(d), shingle_hashes([keys[d]], 5, 1).hashes)


def test_doc_key_drops_a_leading_dateline_and_keeps_digits_unless_folded():
    assert doc_key("BERLIN (dpa) – The 3 ministers met.") == doc_key("The 3 ministers met.")
    assert doc_key("Sales rose 12%") != doc_key("Sales rose 15%")
    assert doc_key("Sales rose 12%", fold_digits=True) == doc_key("Sales rose 15%", fold_digits=True)


_TRICKY = ["", " ", "\n\n", "a", "_x_ y__!", "Straße STRASSE ﬁne", "x\ud800y z", "İstanbul ΣΑΣ",
           "٣٤ ١٢ ５", "e\u0301 é", "tab\tsep\nline\r\nend.", "BERLIN (dpa) – The 3 ministers met.",
           "東京の橋は5月にß開通", "ภาษาไทย ok", "ｶﾀｶﾅ々〇x", "𠀀𠀁 a𠀂b"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text() | st.text(alphabet="東京の橋ßａ5 .ไทยｶ々x\u0e31") | st.sampled_from(_TRICKY), max_size=6),
       st.booleans())
def test_bulk_keys_equal_the_key_of_normalize(texts, fold_digits):
    assert doc_keys(texts, fold_digits) == [key(split_dateline(t)[2], fold_digits) for t in texts]


def test_bulk_keys_of_many_texts_span_several_passes(monkeypatch):
    rng = random.Random(2)
    texts = [" ".join(_words(rng, rng.randrange(0, 40))) + rng.choice(_TRICKY) for _ in range(300)]
    monkeypatch.setattr("builder.dedup.shingles._KEY_CHUNK_CHARS", 500)
    assert doc_keys(texts) == [key(split_dateline(t)[2]) for t in texts]


def test_signatures_do_not_depend_on_the_batch_or_its_passes(monkeypatch):
    rng = random.Random(4)
    keys = [" ".join(_words(rng, rng.choice([0, 1, 3, 6, 40, 300, 2000]))) for _ in range(40)]
    alone = [signatures(shingle_hashes([k], 5, 1), 128, 1)[0] for k in keys]
    monkeypatch.setattr(signatures_module, "_CHUNK", 256)  # many passes, documents longer than one
    for num_perm in (128, 100):
        together = signatures(shingle_hashes(keys, 5, 1), num_perm, 1)
        assert np.array_equal(together, np.stack([signatures(shingle_hashes([k], 5, 1), num_perm, 1)[0] for k in keys]))
    assert np.array_equal(signatures(shingle_hashes(keys, 5, 1), 128, 1), np.stack(alone))


def test_densified_bins_copy_filled_bins_of_the_same_document():
    rng = random.Random(6)
    for n_words in (5, 6, 9, 30, 120):  # 1 .. 116 shingles: from all bins but one empty to a few empty
        b = shingle_hashes([" ".join(_words(rng, n_words))], 5, 1)
        direct = set((b.hashes & np.uint64(0xFFFFFFFF)).tolist())  # the values of the filled bins
        sig = signatures(b, 128, 1)[0]
        assert (sig != EMPTY).all() and set(sig.tolist()) <= direct
        if len(direct) == 1:  # one shingle fills every bin with itself
            assert set(sig.tolist()) == direct


def test_estimates_agree_with_datasketch():
    rng = random.Random(11)
    ours, theirs = [], []
    for j in np.linspace(0.1, 0.95, 18):
        a, b = _pair_at(rng, float(j))
        # unigram "shingles": the exact Jaccard is known by construction
        batch = shingle_hashes([" ".join(a), " ".join(b)], size=1, seed=1)
        sig = signatures(batch, 128, 1)
        exact = len(set(a) & set(b)) / len(set(a) | set(b))
        m1, m2 = MinHash.bulk([[w.encode() for w in a], [w.encode() for w in b]], num_perm=128)
        ours.append(float(jaccard_estimate(sig[0], sig[1])) - exact)
        theirs.append(m1.jaccard(m2) - exact)
    ours, theirs = np.abs(ours), np.abs(theirs)
    assert ours.max() < 0.2 and theirs.max() < 0.2
    # same estimator quality: the mean error is within the spread of datasketch's own
    assert ours.mean() < theirs.mean() + 0.03
    assert ours.mean() < 0.06


def test_signatures_of_identical_sets_agree_and_empty_documents_stay_empty():
    b = shingle_hashes(["one two three four five six", "one two three four five six", ""], 5, 1)
    sig = signatures(b, 64, 1)
    assert np.array_equal(sig[0], sig[1])
    assert (sig[2] == np.uint32(0xFFFFFFFF)).all()
    assert (sig[0] != np.uint32(0xFFFFFFFF)).all()  # densification filled every bin


def test_detection_curve_shape_and_the_threshold_is_detected():
    for threshold in (0.5, 0.7, 0.8, 0.9):
        bands, rows = choose_bands(threshold, 128, recall=0.98)
        assert bands * rows <= 128
        curve = detection_curve(bands, rows, points=101)
        ps = [p for _, p in curve]
        assert curve[0] == (0.0, 0.0) and curve[-1] == (1.0, 1.0)
        assert all(x <= y for x, y in zip(ps, ps[1:]))
        assert detection_probability(threshold, bands, rows) >= 0.98
    # datasketch's balanced choice at 0.8 / 128 detects far fewer pairs at the threshold
    ds_bands, ds_rows = _optimal_param(0.8, 128, 0.5, 0.5)
    assert detection_probability(0.8, ds_bands, ds_rows) < 0.5 < detection_probability(0.8, *choose_bands(0.8, 128))


def test_measured_candidate_rate_follows_the_detection_curve():
    rng = random.Random(5)
    bands, rows = 16, 4
    for j in (0.3, 0.5, 0.7):
        hits = 0
        trials = 150
        for _ in range(trials):
            a, b = _pair_at(rng, j, size=200)
            sig = signatures(shingle_hashes([" ".join(a), " ".join(b)], size=1, seed=1), 128, 1)
            keys = band_keys(sig, bands, rows)
            hits += len(candidate_pairs(keys)) == 1
        expected = detection_probability(j, bands, rows)
        sd = np.sqrt(expected * (1 - expected) / trials)
        assert abs(hits / trials - expected) < 4 * sd + 0.03


def test_candidate_pairs_from_shared_band_keys_and_large_buckets_stay_linear():
    keys = np.array([[1, 9], [2, 9], [1, 8], [3, 7]], np.uint64)
    assert candidate_pairs(keys).tolist() == [[0, 1], [0, 2]]
    crowd = np.zeros((500, 1), np.uint64)  # everyone in one bucket
    pairs = candidate_pairs(crowd, max_bucket=4)
    assert len(pairs) == sum(min(4, 499 - i) for i in range(500))
