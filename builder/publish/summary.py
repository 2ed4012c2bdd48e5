"""What the card, the manifest and the plots say about a release, gathered row by row while the
shards are written: counters and one length per kept article, never the articles themselves."""
from __future__ import annotations

from array import array
from collections import Counter

from builder.article import Article, n_words
from builder.publish.parquet import CARRIED, audit_reason, audit_status, is_kept


class ReleaseSummary:
    def __init__(self) -> None:
        self.inputs = self.carried = self.kept = self.removed = self.duplicates = 0
        self.statuses: Counter = Counter()    # audit status of removed articles
        self.reasons: Counter = Counter()     # audit reason of removed articles
        self.sites: Counter = Counter()       # kept, in release order (ties in plots follow it)
        self.langs: Counter = Counter()
        self.n_words = array("q")             # words of each kept article, release order

    def add(self, a: Article) -> None:
        if a.origin.startswith(CARRIED):
            self.carried += 1
        else:
            self.inputs += 1
        if is_kept(a):
            self.kept += 1
            self.sites[a.site or "unknown"] += 1
            self.langs[a.lang or "unknown"] += 1
            self.n_words.append(n_words(a.text))
        else:
            self.removed += 1
            self.duplicates += bool(a.duplicate_of)
            self.statuses[audit_status(a)] += 1
            self.reasons[audit_reason(a)] += 1

    @property
    def documents(self) -> int:
        return self.inputs + self.carried

    def counts(self) -> dict:
        """The manifest's `counts`."""
        by_status = Counter({"kept": self.kept} if self.kept else {})
        by_status.update(self.statuses)
        return {
            "inputs": self.inputs, "carried": self.carried, "kept": self.kept, "removed": self.removed,
            "by_status": dict(by_status), "by_reason": dict(self.reasons),
            "by_site": dict(self.sites), "by_lang": dict(self.langs),
        }
