"""The list of steps a document passes, and the three jobs built from them: clean, dedup, build.

ingest -> extract (HTML) + normalise -> boilerplate (learned per site) -> dateline -> [pii] ->
filters (language, quality) -> dedup -> publish.

The corpus streams through in passes: memory holds a window of documents, a Parquet row group and
a few hundred bytes per document (ids, dedup outcomes), never the documents. Per-document steps run on
the engine (a process pool for large inputs) one window of documents at a time; between the passes
that need the whole corpus (site templates, dedup) the documents wait on disk (`builder.spill`):

  pass 1: read -> extract + normalise -> count lines for the site templates -> spill
  pass 2: spill -> boilerplate + dateline + filters -> dedup index -> spill  (`clean`: -> JSONL)
  pass 3: spill + dedup outcomes (+ the previous release's kept articles) -> release shards

Every pass sees every document in input order, so each ends up exactly once as kept, dropped or
quarantined, and the release is the same as if the whole corpus had been held in memory.
"""
from __future__ import annotations

import functools
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from builder import boilerplate, filters, normalize
from builder.article import Article
from builder.boilerplate import SiteTemplate, TemplateLearner
from builder.boilerplate.templates import line_hashes
from builder.config import Config
from builder.dedup import ArticleDedup, apply_outcome, dedup_jsonl
from builder.engines.local import Engine, batched
from builder.errors import BuilderError
from builder.ingest import read_inputs
from builder.progress import Outcomes, Reporter
from builder.publish.parquet import ReleasePlan, carried_clusters, is_kept, kept_ids, read_kept_articles
from builder.publish.pii import redact
from builder.publish.versions import check_unpublished, locate_previous
from builder.spill import Spill

_BATCH = 64      # pages per engine task in pass 2, cleaned together, an HTML page's other views included
                 # (larger: less time, more memory; README)
_WINDOW = 1024   # documents per engine call and per spill batch: what a pass holds in memory

Explain = bool | frozenset[str]   # keep the removed lines of every article (True) or of these ids


def _prepare(item: tuple[Article, bool], cfg: Config) -> Article:
    """Per-document work before the corpus-level passes: HTML extraction, normalisation, and, for
    a page whose site has other pages (`item`: the article, whether its site has), the page's line
    hashes for the site-template count (`a.line_hashes`: hashed here, in parallel; counted in
    order). A site's first page is hashed only once a second one shows up (`TemplateLearner`)."""
    a, site_pages = item
    bp = cfg.boilerplate
    if a.alive and a.html is not None:
        from builder.extract import extract_html   # trafilatura: ~0.2 s to import, for HTML only
        # the page's other views (full rendering, other extractors' texts) are of use only to the single-page rules, which clean them
        cleans = bp.enabled and bp.single_page_rules
        extract_html(a, bp.rendered_ratio if cleans else 0.0, cfg.normalize.fix_mojibake, cleans and bp.html_vote)
    if a.alive:
        normalize.normalize_article(a, cfg.normalize)
    if site_pages and bp.enabled and bp.learn_templates and a.alive and a.text:
        a.line_hashes = line_hashes(a.text.split("\n"), a.title)
    return a


def _hash_page(page: tuple[str, str | None]) -> list[int]:
    """`line_hashes` of a page (text, title) that waited in the main process for its site's second page."""
    text, title = page
    return line_hashes(text.split("\n"), title)


def _finish(a: Article, cfg: Config) -> None:
    """Per-document work after boilerplate removal."""
    normalize.move_dateline(a, cfg.normalize)
    if cfg.pii.redact:
        a.text = redact(a.text)


def _explains(explain: Explain, doc_id: str) -> bool:
    return explain is True or (bool(explain) and doc_id in explain)


# What every pass-2 task of this process shares (set once per worker by `_setup_clean`), so a
# task carries only its articles, not the cleaner's rules or a site's template each time.
_PASS: dict = {}


def _setup_clean(cfg: Config, templates: dict[str, SiteTemplate], explain: Explain) -> None:
    _PASS.update(cfg=cfg, templates=templates, explain=explain,
                 cleaner=boilerplate.Cleaner(cfg.boilerplate) if cfg.boilerplate.enabled else None)


def _clean_batch(batch: list[Article]) -> list[Article]:
    """Second pass over a batch of alive articles, each with its site's learned template:
    boilerplate (all pages of the batch at once), dateline, filters."""
    cfg, cleaner, explain = _PASS["cfg"], _PASS["cleaner"], _PASS["explain"]
    if cleaner is not None:
        # removed lines are as large as the kept text: made only when someone will read them
        cleaner.apply_many(batch, [_PASS["templates"].get(a.site or "") for a in batch],
                           keep_removed=lambda a: _explains(explain, a.id))
    for a in batch:
        _finish(a, cfg)
    filters.apply_filters(batch, cfg.filters)
    return batch


def _batches(articles: list[Article], size: int):
    """(positions, articles) per batch of alive articles of about `size` pages, in order; sites
    mixed (line features are computed for a whole batch at once, and most sites have a page or two)."""
    alive = [i for i, a in enumerate(articles) if a.alive]
    start = 0
    for batch in boilerplate.batched_by_pages([articles[i] for i in alive], size):
        yield alive[start:start + len(batch)], batch
        start += len(batch)


class _Cleaning:
    """The clean stage over a stream: `normalise` (pass 1), `learn`, then `clean` (pass 2)."""

    def __init__(self, cfg: Config, reporter: Reporter, explain: Explain):
        self.cfg, self.reporter, self.explain = cfg, reporter, explain
        bp = cfg.boilerplate
        # deferred: the pages the counter cannot hold waiting are hashed by the engine too (`_hash_waiting`)
        self.learner = TemplateLearner.for_config(bp, deferred=True) if bp.enabled and bp.learn_templates else None
        self.templates: dict[str, SiteTemplate] = {}
        self.timings: dict[str, float] = {}

    def prepare(self, docs: Iterable[Article], folder: Path) -> Spill:
        """Pass 1 into a spill in `folder`, then the site templates: what `clean` reads back."""
        spill = Spill(folder / "normalised.arrows", _WINDOW)
        self.normalise(docs, spill)
        self.learn()
        return spill

    def normalise(self, docs: Iterable[Article], spill: Spill) -> None:
        """Pass 1: extract + normalise on the engine; every page counts towards its site's template
        (a site with too few pages gets none, as with `learn_templates`); all go to `spill`."""
        t = time.perf_counter()
        with spill:
            for a in self.reporter.track(self._prepared(docs), "normalise"):
                if self.learner is not None:
                    self.learner.observe(a)
                spill.write(a)
        self.timings["normalise"] = time.perf_counter() - t

    def _prepared(self, docs: Iterable[Article]) -> Iterator[Article]:
        prepare = functools.partial(_prepare, cfg=self.cfg)
        seen = 0
        sites: set[str] = set()
        with Engine(self.cfg.engine) as engine:
            for window in batched(docs, _WINDOW):
                # the pool-or-not threshold counts the corpus so far, not one window: the last few
                # documents of a large corpus do not load every model into this process
                seen += len(window)
                here = Counter(a.site or "" for a in window)
                if self.learner is not None:
                    self._hash_waiting(engine, here, seen)
                items = []
                for a in window:
                    site = a.site or ""
                    items.append((a, site in sites or here[site] > 1))
                    sites.add(site)
                yield from engine.map_ordered(prepare, items, docs=seen)

    def _hash_waiting(self, engine: Engine, sites: Collection[str], docs: int) -> None:
        """Before a window: the waiting first pages of earlier windows whose second page is in this
        one (`sites`), and the oldest beyond the counter's budget, are hashed by the engine too (this
        process counts, in order, but hashes nothing); those beyond the budget are counted now."""
        learner = self.learner
        evict = learner.over_budget()
        jobs = list({site: (site, text, title) for site, text, title in learner.waiting(sites) + evict}.values())
        if jobs:
            hashed = engine.map_ordered(_hash_page, [(text, title) for _, text, title in jobs], docs=docs)
            for (site, _, _), hashes in zip(jobs, hashed, strict=True):
                learner.give(site, hashes)
        for site, _, _ in evict:
            learner.count_waiting(site)

    def learn(self) -> None:
        t = time.perf_counter()
        if self.learner is not None:
            with self.reporter.stage("boilerplate: learning site templates"):
                self.templates = self.learner.finalize()
        self.timings["learn_templates"] = time.perf_counter() - t

    def clean(self, spill: Spill) -> Iterator[Article]:
        """Pass 2, window by window on the engine: boilerplate with the site's template, dateline,
        filters. Yields every spilled article, in spill order."""
        t = time.perf_counter()
        alive = dropped = 0
        setup = functools.partial(_setup_clean, self.cfg, self.templates, self.explain)
        with Engine(self.cfg.engine, setup) as engine:
            for window in spill.read():
                before = sum(a.alive for a in window)
                alive += before
                batches = list(_batches(window, _BATCH))
                done = engine.map_ordered(_clean_batch, [batch for _, batch in batches], docs=alive)
                for (positions, _), cleaned in zip(batches, done, strict=True):
                    for i, a in zip(positions, cleaned):
                        window[i] = a
                dropped += before - sum(a.alive for a in window)
                yield from window
        # the time of the whole pass, including what the consumer did with the articles
        self.timings["clean"] = time.perf_counter() - t
        self.reporter.note(f"clean: {len(self.templates)} site templates, {dropped} of {alive} documents "
                           f"dropped by the filters, in {self.timings['learn_templates'] + self.timings['clean']:.1f} s")

    def audit(self) -> dict[str, dict]:
        return {site: tpl.to_dict() for site, tpl in self.templates.items() if tpl.lines}


@dataclass
class CleanResult:
    articles: list[Article]            # `clean`: only the explained ones; `run_clean`: all
    templates: dict[str, dict] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict = field(default_factory=dict)


def run_clean(articles: list[Article], cfg: Config, reporter: Reporter | None = None,
              explain: Explain = False) -> CleanResult:
    """Clean every alive article of a list in memory (replaced in place); keeps order and every
    document. `explain`: keep the removed lines (`Article.removed`) of all, or of these ids."""
    cleaning = _Cleaning(cfg, reporter or Reporter(), explain)
    with tempfile.TemporaryDirectory(prefix="builder-") as tmp:
        articles[:] = cleaning.clean(cleaning.prepare(articles, Path(tmp)))
    return CleanResult(articles, cleaning.audit(), cleaning.timings)


def clean_articles(articles: list[Article], cfg: Config) -> list[Article]:
    """The clean stage as a plain function (what the benchmarks call)."""
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


def _no_documents(paths: list[Path]) -> BuilderError:
    return BuilderError(f"no documents found in: {', '.join(map(str, paths))}")


def clean(inputs: list[str | Path], output: Path, cfg: Config,
          reporter: Reporter | None = None, explain: Explain = False) -> CleanResult:
    """`builder clean`: one JSONL line per input document, input order. The result holds the
    articles named by `explain` (all if True), with their removed lines, for `explain_lines`."""
    reporter = reporter or Reporter()
    paths = _existing(inputs)
    _check_writable(output.parent)
    cleaning = _Cleaning(cfg, reporter, explain)
    outcomes, explained = Outcomes(), []
    with tempfile.TemporaryDirectory(prefix="builder-") as tmp:
        spill = cleaning.prepare(read_inputs(paths, cfg.ingest), Path(tmp))
        if not spill.count:
            raise _no_documents(paths)
        # written next to the output and renamed: a failed run leaves no half file
        part = output.with_name(f".{output.name}.{os.getpid()}.part")
        try:
            with open(part, "w", encoding="utf-8") as f:
                for a in reporter.track(cleaning.clean(spill), "clean", total=spill.count):
                    f.write(json.dumps(a.clean_record(), ensure_ascii=False) + "\n")
                    outcomes.add(a)
                    if _explains(explain, a.id):
                        explained.append(a)
            os.replace(part, output)
        finally:
            part.unlink(missing_ok=True)
    reporter.summary(outcomes.counts(), "builder clean")
    return CleanResult(explained, cleaning.audit(), cleaning.timings, outcomes.counts())


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
    if a.view:
        out.append(f"  text      from the page's {a.view} view, not its extraction (the removed lines are that view's)")
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
    cleaning = _Cleaning(cfg, reporter, explain=False)
    with tempfile.TemporaryDirectory(prefix="builder-") as tmp:
        # An explicit --previous makes this build an increment: the earlier release's kept articles
        # carry over unless this build supplies the same id again (then the new text replaces it).
        previous_ids = kept_ids(prev_dir) if prev_dir else set()
        again: set[str] = set()
        docs = read_inputs(paths, cfg.ingest)
        if previous_ids:
            docs = _noting(docs, previous_ids, again)
        normalised = cleaning.prepare(docs, Path(tmp))
        n = normalised.count
        if not n:
            raise _no_documents(paths)

        # pass 2 feeds the dedup index; the plan counts what the shard writers must know up front
        dedup = ArticleDedup(cfg.dedup, previous=prev_dir) if cfg.dedup.enabled else None
        plan = ReleasePlan(documents=n, kept=0)
        cleaned = Spill(Path(tmp) / "cleaned.arrows", _WINDOW)
        t, dedup_seconds = time.perf_counter(), 0.0
        removed: Counter[str] = Counter()     # why documents went, for a build that keeps none
        with cleaned:
            for a in reporter.track(cleaning.clean(normalised), "clean", total=n):
                if not a.alive:
                    removed[a.reason or a.status] += 1
                if a.alive and dedup is not None:
                    d = time.perf_counter()
                    dedup.add(a)
                    dedup_seconds += time.perf_counter() - d
                else:
                    _count(plan, a.cluster_id, is_kept(a))
                cleaned.write(a)
        normalised.path.unlink()
        cleaning.timings["clean"] = time.perf_counter() - t - dedup_seconds

        t = time.perf_counter()
        report, outcomes = None, []
        if dedup is not None:
            with reporter.stage("dedup: exact and near duplicates"):
                outcomes, report = dedup.finish()
            for o in outcomes:
                _count(plan, o.cluster_id, not o.reason and o.duplicate_of is None)
            reporter.note(f"dedup: {report.exact} exact and {report.near} near duplicates, "
                          f"{report.clusters} clusters, in {time.perf_counter() - t + dedup_seconds:.1f} s")
        cleaning.timings["dedup"] = time.perf_counter() - t + dedup_seconds
        if prev_dir:
            carried, sizes = carried_clusters(prev_dir, again)
            plan.documents += carried
            plan.kept += carried
            plan.cluster_sizes.update(sizes)

        if not plan.kept:
            # `datasets` cannot load a split without rows, and `check` would fail it: refuse to
            # publish rather than ship an empty release (the audit's reasons go in the message)
            why = ", ".join(f"{r} {c}" for r, c in sorted(removed.items(), key=lambda x: (-x[1], x[0])))
            raise BuilderError(f"nothing to publish: none of the {n} documents was kept ({why}); "
                               "`builder clean` lists each document with its reason")

        counted = Outcomes()

        def release_order() -> Iterator[Article]:
            """This build's articles with their dedup outcomes, input order, then the carried ones."""
            results = iter(outcomes)
            for batch in cleaned.read():
                for a in batch:
                    if a.alive and dedup is not None:
                        apply_outcome(a, next(results))
                    counted.add(a)
                    yield a
            if prev_dir:
                yield from read_kept_articles(prev_dir, again)

        from builder.publish import ReleaseExtras, input_fingerprint, publish_release
        stats = {"timings": cleaning.timings, "documents": n, "seconds": time.perf_counter() - t0}
        extras = ReleaseExtras(templates=cleaning.audit(), dedup=report, stats=stats)
        release = publish_release(
            release_order(), cfg, output=output, version=version, previous=prev_dir,
            input_fingerprint=input_fingerprint(paths), extras=extras, progress=reporter.live, plan=plan)
    reporter.summary(counted.counts(), "builder build")
    return BuildResult(release, counted.counts())


def _count(plan: ReleasePlan, cluster_id: str | None, kept: bool) -> None:
    plan.kept += kept
    if cluster_id is not None:
        plan.cluster_sizes[cluster_id] += 1


def _noting(docs: Iterable[Article], ids: Collection[str], found: set[str]) -> Iterator[Article]:
    """`docs`, adding to `found` the id of each that is in `ids`."""
    for a in docs:
        if a.id in ids:
            found.add(a.id)
        yield a
