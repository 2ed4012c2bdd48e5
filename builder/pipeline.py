"""The list of steps a document passes, and the three jobs built from them: clean, dedup, build.

ingest -> extract (HTML) + normalise -> boilerplate (learned per site) -> dateline -> [pii] ->
filters (language, quality) -> dedup -> publish.

Per-document steps run on the engine (a process pool for large inputs); steps that need the whole
corpus (learning site templates, LSH) run as passes over the collected batch. Every input
document stays in the list from ingest to publish, so each ends up exactly once as kept, dropped or
quarantined.
"""
from __future__ import annotations

import functools
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from builder import boilerplate, filters, normalize
from builder.article import Article
from builder.boilerplate import SiteTemplate
from builder.config import Config
from builder.dedup import dedup_articles, dedup_jsonl
from builder.engines.local import map_ordered
from builder.errors import BuilderError
from builder.extract import extract_html
from builder.ingest import read_inputs
from builder.progress import Reporter, count_outcomes
from builder.publish import ReleaseExtras, input_fingerprint, publish_release
from builder.publish.parquet import read_kept_articles
from builder.publish.versions import check_unpublished, locate_previous
from builder.publish.pii import redact

_BATCH = 32  # articles of one site per engine task


def _prepare(a: Article, cfg: Config) -> Article:
    """Per-document work before the corpus-level passes: HTML extraction, normalisation."""
    if a.alive and a.html is not None:
        extract_html(a)
    if a.alive:
        normalize.normalize_article(a, cfg.normalize)
    return a


def _finish(a: Article, cfg: Config) -> None:
    """Per-document work after boilerplate removal."""
    normalize.move_dateline(a, cfg.normalize)
    if cfg.pii.redact:
        a.text = redact(a.text)


def _clean_batch(task: tuple[SiteTemplate | None, list[Article]], cleaner: boilerplate.Cleaner | None,
                 cfg: Config, explain: bool) -> list[Article]:
    """Second pass over one site's batch, with its learned template: boilerplate, dateline, filters."""
    template, batch = task
    for a in batch:
        if cleaner is not None:
            cleaner.apply(a, template)
            if not explain:
                a.removed = []  # as large as the kept text: hold it only when someone will read it
        _finish(a, cfg)
    filters.apply_filters(batch, cfg.filters)
    return batch


def _site_batches(articles: list[Article], templates: dict[str, SiteTemplate], size: int):
    """(positions, (template, articles)) per batch of one site's alive articles: a worker gets each
    site's template once per batch, not once per article."""
    by_site: dict[str, list[int]] = {}
    for i, a in enumerate(articles):
        if a.alive:
            by_site.setdefault(a.site or "", []).append(i)
    for site, positions in by_site.items():
        for start in range(0, len(positions), size):
            chunk = positions[start:start + size]
            yield chunk, (templates.get(site), [articles[i] for i in chunk])


@dataclass
class CleanResult:
    articles: list[Article]
    templates: dict[str, dict] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def run_clean(articles: list[Article], cfg: Config, reporter: Reporter | None = None,
              explain: bool = False) -> CleanResult:
    """Clean every alive article in place; keeps list order and every document.

    Two passes, both on the engine where they are per document: extract + normalise, then (after
    the site templates are learned from the normalised pages in this process) boilerplate,
    dateline and filters. `explain`: keep each article's removed lines (`Article.removed`).
    """
    reporter = reporter or Reporter()
    timings: dict[str, float] = {}
    t = time.perf_counter()
    prepared = map_ordered(functools.partial(_prepare, cfg=cfg), articles, cfg.engine)
    articles[:] = list(reporter.track(prepared, "normalise", total=len(articles)))
    timings["normalise"] = time.perf_counter() - t

    t = time.perf_counter()
    cleaner = boilerplate.Cleaner(cfg.boilerplate) if cfg.boilerplate.enabled else None
    templates: dict[str, SiteTemplate] = {}
    if cleaner is not None and cfg.boilerplate.learn_templates:
        with reporter.stage("boilerplate: learning site templates"):
            templates = boilerplate.learn_templates([a for a in articles if a.alive], cleaner)
    timings["learn_templates"] = time.perf_counter() - t

    t = time.perf_counter()
    alive = sum(a.alive for a in articles)
    batches = list(_site_batches(articles, templates, _BATCH))
    work = functools.partial(_clean_batch, cleaner=cleaner, cfg=cfg, explain=explain)
    done = map_ordered(work, [task for _, task in batches], cfg.engine, docs=alive)
    for (positions, _), cleaned in zip(batches, reporter.track(done, "clean", total=len(batches))):
        for i, a in zip(positions, cleaned):
            articles[i] = a
    timings["clean"] = time.perf_counter() - t
    dropped = alive - sum(a.alive for a in articles)
    reporter.note(f"clean: {len(templates)} site templates, {dropped} of {alive} documents dropped "
                  f"by the filters, in {timings['learn_templates'] + timings['clean']:.1f} s")
    audit = {site: tpl.to_dict() for site, tpl in templates.items() if tpl.lines}
    return CleanResult(articles, audit, timings)


def clean_articles(articles: list[Article], cfg: Config) -> list[Article]:
    """The clean stage as a plain function (what `builder clean` and the benchmarks call)."""
    return run_clean(articles, cfg, explain=True).articles


def _existing(paths: list[str | Path]) -> list[Path]:
    out = [Path(p) for p in paths]
    for p in out:
        if not p.exists():
            raise BuilderError(f"input not found: {p}")
    return out


def _check_writable(folder: Path) -> None:
    """Fail before an hour of work, not after it: the output folder must exist or be creatable,
    and take a file."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise BuilderError(f"cannot write to {folder}: {e.strerror or e}") from None


def _read(paths: list[Path], cfg: Config, reporter: Reporter) -> list[Article]:
    articles = list(reporter.track(read_inputs(paths, cfg.ingest), "read"))
    if not articles:
        raise BuilderError(f"no documents found in: {', '.join(map(str, paths))}")
    return articles


def clean(inputs: list[str | Path], output: Path, cfg: Config,
          reporter: Reporter | None = None, explain: bool = False) -> CleanResult:
    """`builder clean`: one JSONL line per input document, input order (`explain`: keep the
    removed lines of every article for `explain_lines`)."""
    reporter = reporter or Reporter()
    paths = _existing(inputs)
    _check_writable(output.parent)
    articles = _read(paths, cfg, reporter)
    result = run_clean(articles, cfg, reporter, explain=explain)
    with open(output, "w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps(a.clean_record(), ensure_ascii=False) + "\n")
    reporter.summary(articles, "builder clean")
    return result


def explain_lines(articles: list[Article], doc_id: str) -> list[str]:
    """What was removed from one document and why, one line per removed line."""
    match = [a for a in articles if a.id == doc_id]
    if not match:
        raise BuilderError(f"--explain: no document with id {doc_id!r}")
    a = match[0]
    out = [f"{a.id}: status {a.status}" + (f" ({a.reason})" if a.reason else "")]
    if a.dateline or a.source:
        out.append(f"  dateline  {a.dateline!r} source {a.source!r}")
    if a.title:
        out.append(f"  title     {a.title!r}")
    out += [f"  - [{rule}] {line}" for line, rule in a.removed]
    return out


def dedup(inputs: list[str | Path], output: Path, cfg: Config, threshold: float | None = None,
          reporter: Reporter | None = None) -> dict:
    """`builder dedup`: cluster already clean JSONL documents."""
    reporter = reporter or Reporter()
    paths = _existing(inputs)
    _check_writable(output.parent)
    t = time.perf_counter()
    report = dedup_jsonl(paths, output, cfg.dedup, threshold=threshold, progress=reporter.live)
    reporter.note(f"dedup: {report['documents']} documents, {report['exact_duplicates']} exact and "
                  f"{report['near_duplicates']} near duplicates, {report['clusters']} clusters, "
                  f"in {time.perf_counter() - t:.1f} s")
    return report


@dataclass
class BuildResult:
    release: Path
    counts: dict


def build(cfg: Config, inputs: list[str | Path] | None = None, output: Path | None = None,
          version: str | None = None, previous: Path | None = None,
          reporter: Reporter | None = None) -> BuildResult:
    """`builder build`: read, clean, filter, dedup and publish a versioned release."""
    reporter = reporter or Reporter()
    if not inputs and not (cfg.release.inputs and all(Path(p).exists() for p in cfg.release.inputs)):
        raise BuilderError(f"input not found: {', '.join(map(str, cfg.release.inputs)) or 'none given'} "
                           "(the config's release.inputs; pass --input PATH)")
    paths = _existing(list(inputs) if inputs else list(cfg.release.inputs))
    output = Path(output or cfg.release.output)
    prev_dir = locate_previous(output / cfg.release.name, previous) if previous else None
    if version:
        check_unpublished(output / cfg.release.name, version)
    _check_writable(output)
    t0 = time.perf_counter()
    articles = _read(paths, cfg, reporter)
    result = run_clean(articles, cfg, reporter)

    t = time.perf_counter()
    report = None
    if cfg.dedup.enabled:
        with reporter.stage("dedup: exact and near duplicates"):
            report = dedup_articles(articles, cfg.dedup, previous=prev_dir)
        reporter.note(f"dedup: {report.exact} exact and {report.near} near duplicates, "
                      f"{report.clusters} clusters, in {time.perf_counter() - t:.1f} s")
    result.timings["dedup"] = time.perf_counter() - t
    # An explicit --previous makes this build an increment: the earlier release's kept articles
    # carry over unless this build supplies the same id again (then the new text replaces it).
    carried = read_kept_articles(prev_dir, {a.id for a in articles}) if prev_dir else []

    stats = {"timings": result.timings, "documents": len(articles),
             "seconds": time.perf_counter() - t0}
    extras = ReleaseExtras(templates=result.templates, dedup=report, stats=stats)
    release = publish_release(
        articles + carried, cfg, output=output, version=version, previous=prev_dir,
        input_fingerprint=input_fingerprint(paths), extras=extras, progress=reporter.live)
    reporter.summary(articles, "builder build")
    return BuildResult(release, count_outcomes(articles))
