"""Reading the project's TOML files (config, rules, site profiles) with one kind of error."""
from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from builder.errors import BuilderError


def read_toml(path: Path, what: str, error: type[BuilderError] = BuilderError) -> dict:
    """The parsed file; a missing or unparsable file is `error("<what>: ...")`, one line."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what}: no such file: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise error(f"{what}: {path} is not valid TOML: {e}") from None
