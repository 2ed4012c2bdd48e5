"""Disk-backed arrays, so a large run holds band keys in memory and not signatures or shingles.

Signatures (fixed width) and ordered shingle sequences (variable length) are appended batch by
batch to files in a temporary folder; verification reads back only the rows of candidate pairs.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np


class SpillDir:
    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="builder-dedup-")
        self.path = Path(self._tmp.name)

    def close(self) -> None:
        self._tmp.cleanup()


_BLOCK_ROWS = 4096


class RowStore:
    """Fixed-width rows (e.g. uint32 signatures), appended in batches, read back by row index."""

    def __init__(self, path: Path, width: int, dtype=np.uint32):
        self.path, self.width, self.dtype = path, width, np.dtype(dtype)
        self.rows = 0
        self._out = open(path, "wb")

    def append(self, block: np.ndarray) -> None:
        self._out.write(np.ascontiguousarray(block, self.dtype).tobytes())
        self.rows += len(block)

    def __getitem__(self, index: np.ndarray) -> np.ndarray:
        """Rows by index, read block by block (no mmap: mapped pages would count in the RSS)."""
        if not self._out.closed:
            self._out.close()
        index = np.asarray(index, np.int64)
        wanted = np.unique(index)
        found = np.empty((len(wanted), self.width), self.dtype)
        row_bytes = self.width * self.dtype.itemsize
        with open(self.path, "rb") as f:
            for start in range(0, self.rows, _BLOCK_ROWS):
                lo, hi = np.searchsorted(wanted, [start, start + _BLOCK_ROWS])
                if lo == hi:
                    continue
                f.seek(start * row_bytes)
                count = min(_BLOCK_ROWS, self.rows - start)
                block = np.fromfile(f, self.dtype, count * self.width).reshape(count, self.width)
                found[lo:hi] = block[wanted[lo:hi] - start]
        return found[np.searchsorted(wanted, index)]


class SeqStore:
    """Variable-length uint32 sequences, appended in batches, read back one at a time (no mmap: RSS stays flat)."""

    def __init__(self, path: Path):
        self.path = path
        self._out = open(path, "wb")
        self._in = None
        self._offsets: list[np.ndarray] = [np.zeros(1, np.int64)]
        self._end = 0
        self.offsets: np.ndarray | None = None

    def append(self, values: np.ndarray, offsets: np.ndarray) -> None:
        """values of len(offsets) - 1 sequences; offsets as in ShingleBatch."""
        self._out.write(np.ascontiguousarray(values, np.uint32).tobytes())
        self._offsets.append(offsets[1:] + self._end)
        self._end += int(offsets[-1])

    def get(self, i: int) -> np.ndarray:
        if self._in is None:
            self._out.close()
            self.offsets = np.concatenate(self._offsets)
            self._in = open(self.path, "rb")
        start, stop = int(self.offsets[i]), int(self.offsets[i + 1])
        self._in.seek(start * 4)
        return np.fromfile(self._in, np.uint32, stop - start)

    def close(self) -> None:
        self._out.close()
        if self._in is not None:
            self._in.close()
