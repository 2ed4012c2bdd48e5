"""Compiled kernels, loaded on first use.

`@kernel` marks a function numba compiles (`njit`, cached on disk beside the module). numba and
LLVM cost a process ~60 MB and half a second to import, so they are imported only when a
process first calls a kernel: `builder dedup` and the main process of a build whose workers clean
the pages never do (small inputs are cleaned in the main process); `builder check` does, as its
boilerplate gate hashes lines as the templates did. On that first call every kernel of the module is handed to
numba at once, and the module's names are rebound to the compiled functions, so kernels that
call each other are compiled as one program.

Compile time is paid once per install (~12 s for all kernels), so kernels avoid what numba
compiles expensively: a slice assignment (`out[a:b] = x[c:d]`) brings its shape-error message,
string formatting, ~2 s; `np.count_nonzero` and `ndarray.any` each ~0.4 s. A loop costs nothing.
"""
from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path

_KERNELS: dict[str, list[_Kernel]] = {}


class _Kernel:
    def __init__(self, fn: Callable):
        self.fn = fn
        self.compiled: Callable | None = None
        functools.update_wrapper(self, fn)

    def __call__(self, *args):
        if self.compiled is None:
            _compile(self.fn.__module__)
        return self.compiled(*args)


def kernel(fn: Callable) -> _Kernel:
    k = _Kernel(fn)
    _KERNELS.setdefault(fn.__module__, []).append(k)
    return k


def _compile(module: str) -> None:
    from numba import njit

    for k in _KERNELS[module]:
        k.compiled = _one_version_per_type(_stamped(njit(cache=True)(k.fn)))
        setattr(sys.modules[module], k.fn.__name__, k.compiled)


def _stamped(dispatcher):
    """numba reuses a kernel's cached machine code while the kernel's own file is unchanged, but
    that code also bakes in the field positions of the named tuples it reads (`lines.Params`,
    defined in another module): a reordered field was read from its old position. So the cache is
    tied to the files of the whole package."""
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if cache_file is not None and hasattr(cache_file, "_source_stamp"):
        cache_file._source_stamp = (cache_file._source_stamp, _package_stamp())
    return dispatcher


@functools.lru_cache(maxsize=1)
def _package_stamp() -> tuple:
    root = Path(__file__).parent
    return tuple((str(p.relative_to(root)), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(root.rglob("*.py")))


def _one_version_per_type(dispatcher):
    """Called from another kernel with a constant argument (`_extend(c, hit, s, -1, a)`), numba
    compiles a version of the callee for that very value (`Literal[int](-1)`), and each one costs as
    much as the first. Asking for the version of the argument's plain type instead took the
    README's first build after an install (every kernel compiled) from ~29 s to ~22 s. The values
    reach the callee unchanged at run time, so the kernels compute the same."""
    from numba.core import types

    resolve = getattr(dispatcher, "get_call_template", None)
    if resolve is None:     # another numba: it compiles as it always did
        return dispatcher

    def get_call_template(args, kws):
        return resolve(tuple(map(types.unliteral, args)), {n: types.unliteral(t) for n, t in kws.items()})

    dispatcher.get_call_template = get_call_template
    return dispatcher
