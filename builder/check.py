"""`builder check RELEASE`: quality gates that stop a bad release before anyone trains on it.

Each gate recomputes what it checks from the release's own files rather than trusting the
build: the near-duplicate rate is measured independently (datasketch MinHash/LSH on its own
shingles, not the project's dedup code), checksums are recomputed, the card is parsed with
huggingface_hub and the data is loaded with `datasets` in a separate, offline process.
An unusable folder (no or unreadable manifest) is a BuilderError (exit 2); failed gates make
`CheckReport.passed` false (exit 1) and name the offending ids or files.
"""
from __future__ import annotations

import json
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
from rich.console import Console
from rich.table import Table

from builder.article import AUDIT_SCHEMA, DATA_SCHEMA, n_words
from builder.boilerplate.templates import line_hashes
from builder.config import CheckConfig
from builder.publish.manifest import mismatches, read_manifest
from builder.publish.pii import find_pii

MAX_LISTED = 100   # offending ids kept per gate; the count is always exact
LOAD_TIMEOUT = 3600  # seconds for the load_dataset subprocess (it converts every shard to Arrow)
# A template line counts as residue only when seen on this many of its site's pages: two
# scrapes of one story (two renderings, a re-crawl) share their prose, which the cleaner keeps.
TEMPLATE_MIN_PAGES = 3
_WORD = re.compile(r"\w+", re.UNICODE)
_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


@dataclass
class Gate:
    name: str
    passed: bool
    detail: str
    offending: list[str] = field(default_factory=list)
    n_offending: int = 0

    @classmethod
    def of(cls, name: str, offending: list[str], detail: str, passed: bool | None = None) -> "Gate":
        ok = not offending if passed is None else passed
        return cls(name, ok, detail, offending[:MAX_LISTED], len(offending))


@dataclass
class CheckReport:
    release: str
    version: str | None
    gates: list[Gate]

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    @property
    def failed(self) -> list[Gate]:
        return [g for g in self.gates if not g.passed]

    def summary(self) -> str:
        if self.passed:
            return f"{self.release}: all {len(self.gates)} gates passed"
        return f"{self.release}: failed gates: " + ", ".join(
            g.name + (f" ({', '.join(g.offending[:5])}{' …' if g.n_offending > 5 else ''})" if g.offending else "")
            for g in self.failed)

    def to_dict(self) -> dict:
        return {"release": self.release, "version": self.version, "passed": self.passed,
                "gates": [g.__dict__ for g in self.gates]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_junit(self) -> str:
        suite = ET.Element("testsuite", name="builder check", tests=str(len(self.gates)),
                           failures=str(len(self.failed)), errors="0")
        for g in self.gates:
            case = ET.SubElement(suite, "testcase", classname="builder.check", name=g.name)
            if not g.passed:
                failure = ET.SubElement(case, "failure", message=g.detail, type="GateFailed")
                failure.text = "\n".join(g.offending)
            else:
                ET.SubElement(case, "system-out").text = g.detail
        root = ET.Element("testsuites")
        root.append(suite)
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

    def table(self) -> Table:
        table = Table(title=f"builder check {self.release} ({self.version})")
        for col in ("gate", "result", "detail", "offending"):
            table.add_column(col, overflow="fold")
        for g in self.gates:
            shown = ", ".join(g.offending[:5]) + (f" … ({g.n_offending} in all)" if g.n_offending > 5 else "")
            table.add_row(g.name, "[green]PASS[/]" if g.passed else "[bold red]FAIL[/]", g.detail, shown)
        return table

    def render(self, console: Console | None = None) -> None:
        """Print the gate table, then one line naming the failed gates and their offending ids."""
        console = console or Console()
        console.print(self.table())
        console.print(self.summary(), markup=False, highlight=False)


def check_release(release: Path, cfg: CheckConfig) -> CheckReport:
    release = Path(release)
    manifest = read_manifest(release)   # not a release at all: BuilderError, exit 2
    gates = [_manifest_gate(release, manifest)]
    data, audit, schema_gate = _read(release)
    gates.append(schema_gate)
    if data is None:
        gates += [Gate(name, False, "data shards unreadable (see the schema gate)")
                  for name in ("unique", "near_duplicates", "languages", "lengths", "boilerplate", "pii")]
    else:
        rows = data.select(["id", "text", "title", "site", "lang", "n_words", "content_hash"]).to_pylist()
        gates += [_unique_gate(rows, audit), _near_dup_gate(rows, cfg), _lang_gate(rows, cfg),
                  _length_gate(rows, cfg), _boilerplate_gate(release, rows, cfg), _pii_gate(rows, cfg)]
    n_rows = None if data is None else data.num_rows
    gates.append(_card_gate(release, n_rows))
    if cfg.load_dataset:
        gates.append(_load_gate(release, n_rows))
    return CheckReport(str(release), manifest.get("version"), gates)


def _manifest_gate(release: Path, manifest: dict) -> Gate:
    return Gate.of("manifest", mismatches(release, manifest),
                   f"{len(manifest['files'])} files checked against manifest.json")


def _read_shards(paths: list[Path], schema: pa.Schema, bad: list[str], release: Path) -> pa.Table | None:
    tables = []
    for p in paths:
        rel = p.relative_to(release).as_posix()
        try:
            table = pq.read_table(p)
        except Exception as e:  # corrupt shards raise ArrowInvalid, OSError, ... depending on the damage
            bad.append(f"{rel}: unreadable ({type(e).__name__})")
            continue
        if not table.schema.equals(schema):
            bad.append(f"{rel}: schema differs from the contract")
            continue
        tables.append(table)
    if len(tables) < len(paths):
        return None
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _read(release: Path) -> tuple[pa.Table | None, pa.Table | None, Gate]:
    """Every data and audit shard, each checked against the exact Arrow schema."""
    bad: list[str] = []
    data_paths = sorted((release / "data").glob("*.parquet"))
    audit_paths = sorted((release / "audit").glob("*.parquet"))
    if not data_paths:
        bad.append("data/: no Parquet shards")
    bad += [f"{p.relative_to(release).as_posix()}: not named train-NNNNN-of-NNNNN.parquet"
            for p in data_paths if not re.fullmatch(r"train-\d{5}-of-\d{5}\.parquet", p.name)]
    data = _read_shards(data_paths, DATA_SCHEMA, bad, release)
    audit = _read_shards(audit_paths, AUDIT_SCHEMA, bad, release)
    return data, audit, Gate.of("schema", bad, f"{len(data_paths)} data and {len(audit_paths)} audit shards")


def _duplicates(values: list) -> list:
    seen = Counter(values)
    return sorted(v for v, n in seen.items() if n > 1 and v is not None)


def _unique_gate(rows: list[dict], audit: pa.Table | None) -> Gate:
    ids = [r["id"] for r in rows]
    by_hash: dict[str, list[str]] = {}
    for r in rows:
        by_hash.setdefault(r["content_hash"], []).append(r["id"])
    bad = [f"id {i} repeated" for i in _duplicates(ids)]
    bad += [f"content_hash of {' = '.join(v)}" for v in by_hash.values() if len(v) > 1]
    if audit is not None:
        # a later input reusing a kept id is quarantined under that id (reason duplicate_id): not a clash
        removed = {r["id"] for r in audit.select(["id", "reason"]).to_pylist() if r["reason"] != "duplicate_id"}
        bad += [f"id {i} both kept and in audit" for i in sorted(set(ids) & removed)]
    return Gate.of("unique", bad, f"{len(ids)} ids, {len(by_hash)} distinct content hashes")


def _shingles(text: str, k: int) -> set[bytes]:
    words = _WORD.findall(text.casefold())
    if len(words) <= k:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i:i + k]).encode("utf-8") for i in range(len(words) - k + 1)}


def _near_dup_gate(rows: list[dict], cfg: CheckConfig) -> Gate:
    from datasketch import MinHash, MinHashLSH

    picked = sorted(random.Random(cfg.seed).sample(range(len(rows)), min(cfg.near_dup_sample, len(rows))))
    lsh = MinHashLSH(threshold=cfg.near_dup_threshold, num_perm=cfg.near_dup_num_perm)
    hashes, bad = {}, []
    for i in picked:
        m = MinHash(num_perm=cfg.near_dup_num_perm, seed=cfg.seed, hashfunc=xxhash.xxh32_intdigest)
        m.update_batch(list(_shingles(rows[i]["text"], cfg.near_dup_shingle_size)))
        key = str(i)
        # LSH candidates are only likely matches; keep a pair only if the estimate clears the threshold
        matches = [(m.jaccard(hashes[c]), int(c)) for c in lsh.query(m)]
        best = max(matches, default=(0.0, -1))
        if best[0] >= cfg.near_dup_threshold:
            bad.append(f"{rows[i]['id']} ~ {rows[best[1]]['id']} ({best[0]:.2f})")
        lsh.insert(key, m)
        hashes[key] = m
    rate = len(bad) / len(picked) if picked else 0.0
    return Gate.of("near_duplicates", bad,
                   f"{rate:.2%} of {len(picked)} sampled rows have a near-duplicate at Jaccard >= "
                   f"{cfg.near_dup_threshold} (max {cfg.max_near_dup_rate:.2%})",
                   passed=rate <= cfg.max_near_dup_rate)


def _lang_gate(rows: list[dict], cfg: CheckConfig) -> Gate:
    mix = Counter(r["lang"] or "unknown" for r in rows)
    detail = "mix: " + ", ".join(f"{k} {v / len(rows):.1%}" for k, v in mix.most_common(6)) if rows else "no rows"
    bad = [] if not cfg.allowed_langs else [
        f"{r['id']} ({r['lang']})" for r in rows if r["lang"] not in cfg.allowed_langs]
    return Gate.of("languages", bad, detail + (f"; allowed {cfg.allowed_langs}" if cfg.allowed_langs else ""))


def _length_gate(rows: list[dict], cfg: CheckConfig) -> Gate:
    bad = []
    for r in rows:
        words = n_words(r["text"])
        if not cfg.min_words <= words <= cfg.max_words:
            bad.append(f"{r['id']} ({words} words)")
        elif words != r["n_words"]:
            bad.append(f"{r['id']} (n_words {r['n_words']} but text has {words})")
    return Gate.of("lengths", bad, f"every text within {cfg.min_words}..{cfg.max_words} words")


def _boilerplate_gate(release: Path, rows: list[dict], cfg: CheckConfig) -> Gate:
    """Kept lines that match a learned template of their site, compared as masked-line hashes so a
    prompt quoting each page's own title is found on every page."""
    path = release / "audit" / "_templates.json"
    if not path.is_file():
        return Gate("boilerplate", True, "no learned templates in this release")
    try:
        templates = json.loads(path.read_text(encoding="utf-8"))
        hashes = {site: _template_hashes(t) for site, t in templates.items()}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError, TypeError, KeyError, ValueError) as e:
        return Gate("boilerplate", False, f"audit/_templates.json unreadable: {e}", ["audit/_templates.json"], 1)
    bad = []
    for r in rows:
        site_hashes = hashes.get(r["site"])
        if site_hashes:
            lines = [ln.strip() for ln in r["text"].split("\n") if ln.strip()]
            hit = next((ln for ln, h in zip(lines, line_hashes(lines, r.get("title"))) if h in site_hashes), None)
            if hit is not None:
                bad.append(f"{r['id']} ({hit[:60]!r})")
    rate = len(bad) / len(rows) if rows else 0.0
    return Gate.of("boilerplate", bad,
                   f"{rate:.2%} of rows hold a template line seen on {TEMPLATE_MIN_PAGES}+ pages of their site "
                   f"(max {cfg.max_boilerplate_rate:.2%})",
                   passed=rate <= cfg.max_boilerplate_rate)


def _template_hashes(t: dict) -> set[int]:
    """Masked-line hashes of a site's template lines seen on enough pages; `lines[i]` goes with
    `hashes[i]`, and an audit without page counts has every line count."""
    pages = [h.get("pages", TEMPLATE_MIN_PAGES) for h in t.get("hashes", [])]
    out = {int(h["hash"], 16) for h, n in zip(t.get("hashes", []), pages) if n >= TEMPLATE_MIN_PAGES}
    lines = [x for i, x in enumerate(t.get("lines", [])) if x.strip() and (i >= len(pages) or pages[i] >= TEMPLATE_MIN_PAGES)]
    return out | set(line_hashes(lines))


def _pii_gate(rows: list[dict], cfg: CheckConfig) -> Gate:
    bad = []
    for r in rows:
        found = find_pii(r["text"])
        if found:
            bad.append(f"{r['id']} ({len(found)} e-mail/phone)")
    rate = len(bad) / len(rows) if rows else 0.0
    return Gate.of("pii", bad, f"{rate:.2%} of rows hold an e-mail address or phone number "
                               f"(max {cfg.max_pii_rate:.2%})", passed=rate <= cfg.max_pii_rate)


def _train_examples(info) -> int | None:
    for config in info if isinstance(info, list) else [info]:
        for split in (config or {}).get("splits", []) or []:
            if split.get("name") == "train":
                return split.get("num_examples")
    return None


def _card_gate(release: Path, n_rows: int | None) -> Gate:
    from huggingface_hub import DatasetCard

    path = release / "README.md"
    # huggingface_hub logs a multi-line warning for a card without front matter; the gate says it
    hub_log = logging.getLogger("huggingface_hub.repocard")
    level = hub_log.level
    hub_log.setLevel(logging.ERROR)
    try:
        card = DatasetCard.load(path)
    except Exception as e:  # huggingface_hub raises ValueError, YAMLError, ... for a broken card
        return Gate("card", False, f"README.md does not parse: {e}", ["README.md"], 1)
    finally:
        hub_log.setLevel(level)
    meta = card.data.to_dict()
    bad = [] if meta else ["README.md: no YAML front matter"]
    claimed = _train_examples(meta.get("dataset_info"))
    if n_rows is not None and claimed != n_rows:
        bad.append(f"README.md: train num_examples {claimed} but the data has {n_rows} rows")
    for config in meta.get("configs") or [{}]:
        files = config.get("data_files") or []
        paths = [p for f in files for p in ([f["path"]] if isinstance(f.get("path"), str) else f.get("path", []))]
        if not paths or any(not p.startswith("data/") for p in paths):
            bad.append(f"README.md: config {config.get('config_name')} data_files not limited to data/")
    bad += [f"README.md: links missing {link}" for link in _IMAGE.findall(card.text)
            if "://" not in link and not (release / link).is_file()]
    return Gate.of("card", bad, f"card declares {claimed} train rows and {len(_IMAGE.findall(card.text))} plots")


_LOAD = """
import json, sys
from datasets import load_dataset
ds = load_dataset(sys.argv[1], cache_dir=sys.argv[2])
print(json.dumps({name: [split.num_rows, split.column_names] for name, split in ds.items()}))
"""


def _load_gate(release: Path, n_rows: int | None) -> Gate:
    """datasets.load_dataset in a fresh offline process, as a user would load it."""
    with tempfile.TemporaryDirectory(prefix="builder-check-") as cache:
        env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": cache,
               "HF_DATASETS_DISABLE_PROGRESS_BARS": "1"}
        try:
            proc = subprocess.run([sys.executable, "-c", _LOAD, str(release.resolve()), cache],
                                  capture_output=True, text=True, env=env, timeout=LOAD_TIMEOUT)
        except subprocess.TimeoutExpired:
            return Gate("load_dataset", False, f"load_dataset took over {LOAD_TIMEOUT} s", [str(release)], 1)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Gate("load_dataset", False, f"load_dataset failed: {last[:300]}", [str(release)], 1)
    splits = json.loads(proc.stdout.strip().splitlines()[-1])
    bad = []
    if set(splits) != {"train"}:
        bad.append(f"splits {sorted(splits)} instead of only train")
    rows, columns = splits.get("train", [None, []])
    if n_rows is not None and rows != n_rows:
        bad.append(f"train has {rows} rows, the shards {n_rows}")
    if columns != DATA_SCHEMA.names:
        bad.append("train columns differ from the contract")
    return Gate.of("load_dataset", bad, f"splits {sorted(splits)}, train {rows} rows (offline)")
