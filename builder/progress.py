"""Progress bars and the end-of-run summary, on stderr so stdout stays clean for data.

The library takes a `Reporter`; the CLI passes a live one unless `--quiet`, Python callers get the
silent default. Nothing here decides anything about the data.
"""
from __future__ import annotations

import contextlib
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from builder.article import Article

T = TypeVar("T")


class Reporter:
    """Silent reporter: the default for library callers and `--quiet`."""

    live = False

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        yield from items

    def stage(self, description: str) -> contextlib.AbstractContextManager:
        """A pass over the whole corpus, with no per-document progress to show."""
        return contextlib.nullcontext()

    def note(self, message: str) -> None:
        pass

    def summary(self, counts: dict, title: str) -> None:
        """The end-of-run table, from `Outcomes.counts()`."""


class ConsoleReporter(Reporter):
    live = True

    def __init__(self) -> None:
        self.console = Console(stderr=True)

    def track(self, items, description, total=None):
        if total is None and hasattr(items, "__len__"):
            total = len(items)
        if not self.console.is_terminal:
            # logs (CI, files) get one line per stage instead of redrawn bars
            t, n = time.perf_counter(), 0
            for n, item in enumerate(items, 1):
                yield item
            self.console.print(f"{description}: {n} documents in {time.perf_counter() - t:.1f} s")
            return
        columns = [TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn()]
        with Progress(*columns, console=self.console, transient=True) as bar:
            yield from bar.track(items, total=total, description=description)

    def stage(self, description):
        # a terminal gets a spinner so a long pass (templates, dedup) does not look hung;
        # logs get the pipeline's note with the timing once the pass is done
        if not self.console.is_terminal:
            return contextlib.nullcontext()
        return self.console.status(f"{description} …")

    def note(self, message):
        self.console.print(message)

    def summary(self, counts, title):
        self.console.print(summary_table(counts, title))


class Outcomes:
    """read / kept / dropped-by-reason / duplicates / quarantined, counted one article at a time,
    for tables and manifests."""

    def __init__(self) -> None:
        self.by_status: Counter = Counter()
        self.by_reason: Counter = Counter()

    def add(self, a: Article) -> None:
        self.by_status[a.status] += 1
        if a.reason:
            self.by_reason[f"{a.status}:{a.reason}"] += 1

    def counts(self) -> dict:
        return {"read": sum(self.by_status.values()), "status": dict(sorted(self.by_status.items())),
                "reason": dict(sorted(self.by_reason.items()))}


def summary_table(counts: dict, title: str) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("documents")
    table.add_column("count", justify="right")
    table.add_row("read", str(counts["read"]))
    table.add_row("kept", str(counts["status"].get("kept", 0)))
    for status_reason, n in counts["reason"].items():
        status, reason = status_reason.split(":", 1)
        table.add_row(f"{status}: {reason}", str(n))
    return table


def reporter(quiet: bool) -> Reporter:
    return Reporter() if quiet or not sys.stderr else ConsoleReporter()
