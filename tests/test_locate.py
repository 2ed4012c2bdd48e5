"""The compiled line classifier (`builder.boilerplate.locate`) decides as its own code read as
Python does: numba's typing (integer division, booleans summed as integers, float order) must
not change a verdict. The same random batches are classified compiled and with the JIT off."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from builder.boilerplate import locate
from builder.boilerplate.lines import Params, _knobs
from builder.boilerplate.locate import Cols, CutRules

_CLASSIFY_RANDOM_BATCHES = r"""
import hashlib, sys
import numpy as np
from builder.boilerplate.lines import Params, _knobs
from builder.boilerplate.locate import Cols, CutRules, classify_pages

rng = np.random.default_rng(int(sys.argv[1]))
digest, codes = hashlib.sha256(), np.zeros(9, dtype=np.int64)
for _ in range(300):
    sizes = rng.integers(0, 60, rng.integers(1, 5))
    n = int(sizes.sum())
    prose = rng.random(n) < rng.random()
    words = np.where(prose, rng.integers(10, 120, n), rng.integers(0, 12, n))
    flag = lambda share: rng.random(n) < share
    cuts = int(rng.integers(1, 4))
    cols = Cols(flag(0.2), words.astype(np.int64), rng.random(n), prose, flag(0.2), flag(rng.random() * 0.3),
                flag(0.05), flag(0.03), flag(0.05), flag(0.03), ~prose & flag(0.7),
                np.where(flag(0.08), rng.integers(0, cuts, n), -1).astype(np.int64))
    rules = CutRules(rng.random(cuts) < 0.5, rng.integers(0, 3, cuts).astype(np.int64), rng.random(cuts) < 0.5)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    code, box, start = classify_pages(cols, flag(0.05), starts, rules, _knobs(Params()), rng.random(len(sizes)) < 0.2)
    for part in (code, box, start):
        digest.update(np.ascontiguousarray(part, dtype=np.int64).tobytes())
    codes += np.bincount(code, minlength=9)
print(digest.hexdigest(), *codes.tolist())
"""


def _run(seed: int, jit: bool) -> list[str]:
    env = dict(os.environ, NUMBA_DISABLE_JIT="0" if jit else "1")
    out = subprocess.run([sys.executable, "-c", _CLASSIFY_RANDOM_BATCHES, str(seed)], env=env,
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_compiled_classifier_decides_as_the_same_code_run_as_python():
    for seed in (1, 2):
        compiled = _run(seed, jit=True)
        assert compiled == _run(seed, jit=False)
        # every kind of verdict occurs, so every branch was compared
        assert all(int(count) > 0 for count in compiled[1:]), compiled


def test_numba_is_loaded_only_by_a_process_that_cleans_pages():
    probe = ("import sys, builder.cli, builder.pipeline\n"
             "print('numba' in sys.modules, 'pandas' in sys.modules)\n"
             "print(*(m in sys.modules for m in ('matplotlib', 'trafilatura', 'huggingface_hub')))\n"
             "from builder.boilerplate import Cleaner\n"
             "from builder.article import Article\n"
             "from builder.config import BoilerplateConfig\n"
             "a = Article(id='x', text='A line of text that says enough to be read as prose here.')\n"
             "Cleaner(BoilerplateConfig()).apply(a)\n"
             "print('numba' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    # nor do the release writer's and the HTML extractor's libraries load for `builder clean` on text
    assert out == ["False", "False", "False", "False", "False", "True"]



def test_kernels_get_one_compiled_version_per_argument_type(tmp_path):
    # A kernel that passes constants to another (a direction, a flag) must not make numba compile
    # a version of the callee for each value: every one costs a fresh install seconds of compiling.
    (tmp_path / "steps.py").write_text(
        "from builder.jit import kernel\n"
        "@kernel\n"
        "def step(i, d, back):\n"
        "    return i - d if back else i + d\n"
        "@kernel\n"
        "def walk(i):\n"
        "    return step(i, 1, False) + step(i, -1, True) + step(i, 2, True)\n")
    probe = "import steps\nprint(steps.walk(5))\nprint(*map(str, steps.step.signatures), sep='\\n')\n"
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout.split("\n")
    assert out[0] == "15"
    assert [x for x in out[1:] if x] == ["(int64, int64, bool)"]


def _resumes_by_definition(c, k, i, e):
    """`locate._resumes` read to the end of the text, as it was defined before it learned to stop early."""
    seen = long = 0
    first = -1
    between = False
    for j in range(i + 1, e):
        if c.blank[j]:
            continue
        if c.prose[j] and c.words[j] >= k.resume_words:
            long += 1
            if first < 0:
                first = seen
            elif long == 2 and between:
                return False
        elif long == 1 and c.rule[j]:
            between = True
        seen += 1
    return long >= k.resume_lines and first < k.resume_within


def _boxes_by_definition(c, cr, k, s, e):
    """`locate._inline_boxes` walking to the nearest prose however far it is."""
    box = np.full(len(c.words), -1, dtype=np.int64)
    for i in range(s, e):
        x = c.cut[i]
        if c.blank[i] or x < 0 or c.prose[i] or not cr.box[x]:
            continue
        run = [i]
        for step, stop in ((-1, s - 1), (1, e)):
            j = i + step
            while j != stop and (c.blank[j] or not c.prose[j]):
                if not c.blank[j]:
                    run.append(j)
                j += step
        if len(run) <= k.box_lines:
            for m in run:
                if box[m] < 0:
                    box[m] = x
    return box


def test_the_early_exits_of_resumes_and_inline_boxes_change_no_answer():
    # They stop once the answer is decided (a page of many cut headings was quadratic); random
    # pages and knob values, compiled, must answer as the full scans do.
    rng = np.random.default_rng(3)
    for trial in range(400):
        n = int(rng.integers(1, 80))
        prose = rng.random(n) < rng.random()
        flag = lambda share: rng.random(n) < share  # noqa: E731
        words = np.where(prose, rng.integers(10, 120, n), rng.integers(0, 12, n)).astype(np.int64)
        cols = Cols(flag(0.2), words, rng.random(n), prose, flag(0.2), flag(0.3), flag(0.05), flag(0.03), flag(0.05),
                    flag(0.03), ~prose & flag(0.7), np.where(flag(0.3), rng.integers(0, 2, n), -1).astype(np.int64))
        cuts = CutRules(np.array([False, True]), np.zeros(2, dtype=np.int64), rng.random(2) < 0.7)
        knobs = _knobs(Params(resume_lines=int(rng.integers(0, 4)), resume_within=int(rng.integers(0, 12)),
                              resume_words=int(rng.integers(10, 90)), box_lines=int(rng.integers(1, 12))))
        s, e = sorted(int(x) for x in rng.integers(0, n + 1, 2))
        for i in range(s, e):
            assert bool(locate._resumes(cols, knobs, i, e)) == _resumes_by_definition(cols, knobs, i, e), (trial, i)
        box = np.full(n, -1, dtype=np.int64)
        locate._inline_boxes(cols, cuts, knobs, s, e, box)
        assert box.tolist() == _boxes_by_definition(cols, cuts, knobs, s, e).tolist(), trial
