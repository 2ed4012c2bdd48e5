"""Candidate verification: signature estimate first, then exact shingle overlap with a lead guard.

Two copies of one story are not always similar by Jaccard: a teaser cut to 60% of the article, or
an update with a new paragraph, shares most of the shorter text but little of the union. So a pair
merges when its Jaccard reaches `threshold` OR its containment (overlap / the smaller shingle set)
reaches `containment`. Containment alone would merge different stories that share a block: a
site footer of hundreds of words, or an opening quote. What separates them is *where* the shared
text sits in the shorter document: a copy shares its lead and most of its body, a footer is
shared only at the end, a quote only at the start. The guard splits the shorter document's
shingle sequence into `guard_segments` equal parts; a part is shared when at least
`guard_min_share` of its shingles occur in the other document; the pair must share a majority of
the parts and the lead: its first half part (10% with 5 parts), but at least 30 shingles, so that a
new headline line does not hide a shared lead while a short story above a long shared footer
still shows as not shared.

The signature estimate rejects pairs that are clearly below both thresholds (3 standard errors
of the estimate), so the exact check, which reads the shingles back from disk, runs only on pairs
near or above them.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from builder.dedup.shingles import sorted_unique
from builder.dedup.signatures import jaccard_estimate

_Z = 3.0  # standard errors of the MinHash estimate below the required Jaccard that still get an exact check
_PAIR_CHUNK = 20_000
_LEAD_MIN = 30  # shingles: the lead window never shrinks below a headline plus the first sentence


@dataclass
class Rule:
    threshold: float        # Jaccard that merges
    containment: float      # containment that merges (0 disables)
    segments: int = 5
    min_share: float = 0.25
    num_perm: int = 128


@dataclass
class Verdict:
    merge: bool
    jaccard: float
    containment: float


def required_jaccard(rule: Rule, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """Lowest Jaccard at which a pair of these sizes can merge under the rule.

    Sizes are shingle counts; repeated shingles make them slightly larger than the set sizes, which
    the slack of the prefilter absorbs (the exact check then uses the true sets).
    """
    small = np.minimum(size_a, size_b).astype(float)
    total = (size_a + size_b).astype(float)
    need = np.full(len(small), rule.threshold, float)
    if rule.containment > 0:
        # overlap = c * small  =>  J = c * small / (total - c * small)
        via_c = rule.containment * small / np.maximum(total - rule.containment * small, 1.0)
        need = np.minimum(need, via_c)
    return need


def prefilter(pairs: np.ndarray, sig_rows: Callable[[np.ndarray], np.ndarray], sizes: np.ndarray,
              rule: Rule) -> tuple[np.ndarray, np.ndarray]:
    """(pairs worth an exact check, their signature estimates)."""
    keep, est = [], []
    for start in range(0, len(pairs), _PAIR_CHUNK):
        p = pairs[start:start + _PAIR_CHUNK]
        j = jaccard_estimate(sig_rows(p[:, 0]), sig_rows(p[:, 1]))
        need = required_jaccard(rule, sizes[p[:, 0]], sizes[p[:, 1]])
        slack = _Z * np.sqrt(need * (1.0 - need) / rule.num_perm)
        ok = j >= need - slack
        keep.append(p[ok])
        est.append(j[ok])
    if not keep:
        return np.zeros((0, 2), np.int64), np.zeros(0)
    return np.concatenate(keep), np.concatenate(est)


def exact(seq_a: np.ndarray, seq_b: np.ndarray, rule: Rule,
          set_a: np.ndarray | None = None, set_b: np.ndarray | None = None) -> Verdict:
    """Exact Jaccard and containment of two ordered shingle sequences, and the merge decision.

    set_a / set_b: their sorted distinct shingles when the caller already has them.
    """
    set_a = sorted_unique(seq_a) if set_a is None else set_a
    set_b = sorted_unique(seq_b) if set_b is None else set_b
    if not len(set_a) or not len(set_b):
        return Verdict(False, 0.0, 0.0)
    inter = int(_member(set_b, set_a).sum())
    jac = inter / (len(set_a) + len(set_b) - inter)
    con = inter / min(len(set_a), len(set_b))
    similar = jac >= rule.threshold or (rule.containment > 0 and con >= rule.containment)
    if not similar:
        return Verdict(False, jac, con)
    short, other = (seq_a, set_b) if len(set_a) <= len(set_b) else (seq_b, set_a)
    return Verdict(lead_guard(_member(short, other), rule), jac, con)


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    pos = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[pos] == values


def lead_guard(shared: np.ndarray, rule: Rule) -> bool:
    """True when the shared shingles cover the lead and most of the shorter document (see module doc)."""
    parts = np.array_split(shared, min(rule.segments, len(shared)))
    ok = [part.mean() >= rule.min_share for part in parts]
    lead = shared[: max(_LEAD_MIN, len(shared) // (2 * rule.segments))]
    return bool(lead.mean() >= rule.min_share) and sum(ok) >= math.ceil((len(ok) + 1) / 2)
