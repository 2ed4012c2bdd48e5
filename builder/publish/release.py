"""publish_release: write a whole release into a temp folder next to the target, then rename.

A failed or interrupted run leaves no half release (only a `.building-*` folder, which no
version lookup ever picks up, removed on any Python-level failure).
"""
from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from builder.article import AUDIT_SCHEMA, DATA_SCHEMA, Article
from builder.config import Config
from builder.errors import BuilderError
from builder.publish import plots
from builder.publish.card import render_card
from builder.publish.diff import changelog, diff_data
from builder.publish.manifest import build_manifest, dump_json, listed, mismatches, read_manifest, write_build_info
from builder.publish.parquet import ReleasePlan, ShardWriter, audit_row, data_row, is_kept
from builder.publish.summary import ReleaseSummary
from builder.publish.versions import check_unpublished, pick_previous, resolve_version

# The leading underscore keeps Arrow, pandas and datasets from reading it as part of the audit table.
TEMPLATES = "audit/_templates.json"


@dataclass
class ReleaseExtras:
    templates: dict[str, dict] = field(default_factory=dict)  # site -> {"lines": [...], ...}, learned boilerplate
    dedup: object | None = None      # a DedupReport (duck-typed: bands, rows, threshold, detection_curve, ...)
    stats: dict = field(default_factory=dict)    # timings etc.: build-info.json only, outside the determinism promise


def publish_release(articles: Iterable[Article], cfg: Config, *, output: Path, version: str | None,
                    previous: Path | None, input_fingerprint: str, extras: ReleaseExtras,
                    progress: bool = False, plan: ReleasePlan | None = None) -> Path:
    """Publish `articles` (every input document, input order) as `<output>/<name>/<version>/`.

    `articles` may be a stream read once (then `plan` gives its counts and cluster sizes up front);
    without a plan it is read into a list to make one."""
    say = Console(stderr=True, quiet=not progress).print
    root = Path(output) / cfg.release.name
    if version:
        check_unpublished(root, version)
    prev_dir, automatic = pick_previous(root, previous, version)
    prev_manifest = read_manifest(prev_dir) if prev_dir else None
    prev_version = prev_manifest["version"] if prev_manifest else None
    note = None
    if automatic:
        note = f"Compared with {prev_version}, the latest earlier release (no --previous given)."
        # only compared with, never carried over (an explicit --previous must be intact): say so
        changed = mismatches(prev_dir, prev_manifest)
        if changed:
            note += f" {prev_version} differs from its manifest.json ({listed(changed, 1)}): compared as it is now."
        Console(stderr=True, quiet=not (progress or changed)).print(note)

    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".building-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        if plan is None:
            articles = list(articles)
            plan = ReleasePlan.of(articles)
        say("writing Parquet shards")
        summary, data_paths, num_bytes = write_parts(articles, plan, tmp, cfg)
        diff = diff_data(prev_dir, tmp, prev_version, "") if prev_dir else None
        final = resolve_version(version, prev_version, diff.kind if diff else None, cfg.release.version)
        target = root / final
        if target.exists():
            hint = "" if version else (f" ({final} is {prev_version} bumped; build on the latest release "
                                       "with --previous, or choose one with --version)")
            raise BuilderError(f"release {target} exists; a published version is never overwritten{hint}")
        if diff:
            diff.new_version = final
            say(diff.summary())

        dump_json(extras.templates, tmp / TEMPLATES)
        if extras.dedup is not None:
            extras.dedup.write_sidecar(tmp)
        plot_links = {}
        if cfg.publish.plots:
            say("rendering plots")
            plot_links = plots.render_all(tmp / "plots", summary.n_words, summary.langs, extras.dedup)
        prev_log = prev_dir / "CHANGELOG.md" if prev_dir else None
        (tmp / "CHANGELOG.md").write_text(changelog(
            diff, version=final, kept=summary.kept, note=note,
            previous_changelog=prev_log.read_text(encoding="utf-8") if prev_log and prev_log.is_file() else None),
            encoding="utf-8")
        render_card(summary, cfg, version=final, previous=prev_version, input_fp=input_fingerprint,
                    num_bytes=num_bytes, download_size=sum(p.stat().st_size for p in data_paths),
                    plots=plot_links, dedup=extras.dedup).save(tmp / "README.md")
        dump_json(build_manifest(tmp, name=cfg.release.name, version=final, previous=prev_version, cfg=cfg,
                                 input_fp=input_fingerprint, article_counts=summary.counts(),
                                 num_bytes=num_bytes, dedup=extras.dedup), tmp / "manifest.json")
        write_build_info(tmp, extras.stats, extras.dedup)
        try:
            # rename(2) onto an existing non-empty folder fails, so a racing build cannot clobber one
            os.rename(tmp, target)
        except OSError:
            raise BuilderError(f"release {target} appeared while building; not overwritten") from None
        say(f"published {target}")
        return target
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_parts(articles: Iterable[Article], plan: ReleasePlan, release: Path,
                cfg: Config) -> tuple[ReleaseSummary, list[Path], int]:
    """data/ (kept) and audit/ (the rest) shards in one pass over the articles: the summary of
    what was written, the data shard paths and their rows' Arrow size."""
    data = ShardWriter(DATA_SCHEMA, release / "data", "train", plan.kept, cfg.publish)
    audit = ShardWriter(AUDIT_SCHEMA, release / "audit", "removed", plan.documents - plan.kept, cfg.publish)
    summary = ReleaseSummary()
    for a in articles:
        summary.add(a)
        if is_kept(a):
            data.add(data_row(a, plan.cluster_sizes))
        else:
            audit.add(audit_row(a))
    data_paths, num_bytes = data.close()
    audit.close()
    return summary, data_paths, num_bytes
