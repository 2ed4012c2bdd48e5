"""The `builder` command line. Parses options and calls library functions; nothing else lives here.

Exit codes: 0 success, 1 a check or gate failed, 2 bad usage or unusable input (one line on stderr).
"""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from builder import __version__
from builder.errors import BuilderError

DEFAULT_CONFIG = Path("configs/default.toml")


def _fail(message: str, code: int = 2) -> None:
    # messages of libraries (pyarrow, the hub) may span lines or hold control bytes; the contract promises one line
    printable = "".join(c if c.isprintable() else " " for c in message)
    click.echo("builder: " + " ".join(printable.split()), err=True)
    sys.exit(code)


def handle_errors(fn):
    """Turn every expected failure into one line on stderr; tracebacks only with BUILDER_DEBUG=1."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BuilderError as e:
            _fail(str(e), e.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except OSError as e:
            if os.environ.get("BUILDER_DEBUG"):
                raise
            _fail(f"{e.strerror or e}: {e.filename}" if e.filename else str(e))
        except Exception as e:  # noqa: BLE001 - the contract promises no tracebacks
            if os.environ.get("BUILDER_DEBUG"):
                raise
            _fail(f"internal error: {type(e).__name__}: {e} (rerun with BUILDER_DEBUG=1 for details)")
    return wrapper


_NO_ARGS = getattr(click.exceptions, "NoArgsIsHelpError", ())  # click >= 8.2: bare `builder`


class OneLineErrors(click.Group):
    """Click's own usage errors (bad option, missing argument) as one line on stderr too."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except _NO_ARGS as e:
            e.show()  # the help itself is the useful answer here
            sys.exit(e.exit_code)
        except click.UsageError as e:
            hint = f" (see '{e.ctx.command_path} --help')" if e.ctx else ""
            _fail(f"{e.format_message()}{hint}", e.exit_code)
        except click.ClickException as e:
            _fail(e.format_message(), e.exit_code)
        except click.Abort:
            _fail("interrupted", 130)
        sys.exit(rv if isinstance(rv, int) else 0)


def _config(path: str | None, overrides: dict | None = None):
    from builder.config import load_config
    if path is None and DEFAULT_CONFIG.is_file():
        path = str(DEFAULT_CONFIG)
    return load_config(path, overrides)


def _reporter(quiet: bool):
    from builder.progress import reporter
    return reporter(quiet)


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False),
    help="TOML config (default: configs/default.toml if present, else built-in defaults).")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bars or summary.")


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="builder")
def cli():
    """Turn raw news scrapes into a clean, near-deduplicated, versioned Parquet dataset.

    \b
    Pipeline: read -> normalise -> strip boilerplate -> filter (language, quality)
              -> exact + near dedup -> publish (Parquet, card, manifest, audit, changelog).
    Exit codes: 0 ok, 1 a check failed, 2 bad usage or unusable input.
    """


@cli.command()
@config_option
@click.option("--input", "inputs", multiple=True, type=click.Path(),
              help="Raw scrape file or folder (repeatable). Default: the config's release.inputs.")
@click.option("--output", type=click.Path(file_okay=False),
              help="Releases folder; the release goes to OUTPUT/<name>/<version>/.")
@click.option("--version", "version", help="Version X.Y.Z to publish (default: bump from the latest).")
@click.option("--previous", type=click.Path(file_okay=False),
              help="Earlier release (folder, or a version under OUTPUT/<name>/): its articles carry "
                   "over, new documents are deduped against it, its version is bumped.")
@quiet_option
@handle_errors
def build(config_path, inputs, output, version, previous, quiet):
    """Run the whole pipeline and publish a versioned release.

    The release (data/, audit/, README.md card, manifest.json, CHANGELOG.md) goes to
    OUTPUT/<name>/<version>/; its path is printed on stdout. Published versions are never
    overwritten: without --version the latest release is bumped.
    """
    from builder.pipeline import build as run_build
    result = run_build(_config(config_path), list(inputs) or None,
                       Path(output) if output else None, version,
                       Path(previous) if previous else None, _reporter(quiet))
    click.echo(str(result.release))


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="Output JSONL file.")
@config_option
@click.option("--explain", "explain", multiple=True, metavar="ID",
              help="Print each line removed from document ID and the rule that removed it.")
@quiet_option
@handle_errors
def clean(inputs, output, config_path, explain, quiet):
    """Read, normalise, strip boilerplate and filter; one output line per input document.

    Each line holds id, site, url, status (kept, dropped, quarantined), reason, text, title,
    dateline, source, lang and lang_score, in input order.
    """
    from builder.pipeline import clean as run_clean, explain_lines
    result = run_clean(list(inputs), Path(output), _config(config_path), _reporter(quiet),
                       explain=frozenset(explain))
    for doc_id in explain:
        click.echo("\n".join(explain_lines(result.articles, doc_id)))


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="Output JSONL file.")
@config_option
@click.option("--threshold", type=click.FloatRange(0.0, 1.0, min_open=True),
              help="Jaccard threshold (default: the config's dedup.threshold).")
@quiet_option
@handle_errors
def dedup(inputs, output, config_path, threshold, quiet):
    """Cluster exact and near-duplicate clean documents; one output line per input document."""
    from builder.pipeline import dedup as run_dedup
    run_dedup(list(inputs), Path(output), _config(config_path), threshold, _reporter(quiet))


@cli.command()
@click.argument("release", type=click.Path())
@config_option
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the gate results as JSON.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False), help="Write the gate results as JUnit XML.")
@quiet_option
@handle_errors
def check(release, config_path, json_path, junit_path, quiet):
    """Quality gates on a published release: exit 0 all pass, 1 a gate failed.

    Gates: manifest checksums, schema, unique ids and hashes, residual near duplicates, languages,
    lengths, boilerplate residue, e-mail/phone rate, dataset card, offline load_dataset.
    Thresholds come from the config's [check] section.
    """
    from builder.check import check_release
    report = check_release(Path(release), _config(config_path).check)
    if json_path:
        Path(json_path).write_text(report.to_json(), encoding="utf-8")
    if junit_path:
        Path(junit_path).write_text(report.to_junit(), encoding="utf-8")
    if not quiet or not report.passed:
        report.render()
    sys.exit(0 if report.passed else 1)


@cli.command()
@click.argument("old", type=click.Path())
@click.argument("new", type=click.Path())
@quiet_option
@handle_errors
def diff(old, new, quiet):
    """What NEW added, removed and changed against OLD (Markdown on stdout)."""
    from builder.publish.diff import diff_releases
    click.echo(diff_releases(Path(old), Path(new)).to_markdown())


@cli.command()
@click.argument("release", type=click.Path())
@click.option("--repo", required=True, help="Hugging Face dataset repo, ORG/NAME.")
@click.option("--dry-run", is_flag=True, help="List what would be uploaded; send nothing.")
@click.option("--private", is_flag=True, help="Create the repo as private if it does not exist.")
@click.option("--token", envvar="HF_TOKEN", help="Hub token (default: $HF_TOKEN or the saved login).")
@quiet_option
@handle_errors
def push(release, repo, dry_run, private, token, quiet):
    """Upload a release to the Hugging Face Hub and tag the commit with its version.

    The release's files are first checked against its manifest.json: a release changed since its
    build is refused (exit 2; `builder check` shows what differs)."""
    from builder.publish.hub import push_release
    items = push_release(Path(release), repo, dry_run=dry_run, token=token, private=private)
    for item in items:
        click.echo(item)
    done = "dry run, nothing sent: would upload" if dry_run else "uploaded"
    click.echo(f"{done} {len(items)} files ({sum(i.bytes for i in items):,} bytes) to dataset repo {repo}")


def main() -> None:
    cli(prog_name="builder")
