"""The typed config: defaults, the documented default file, and loud errors."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from builder.config import Config, load_config
from builder.errors import ConfigError

DEFAULT = Path(__file__).resolve().parent.parent / "configs" / "default.toml"


def leaf_fields(cls, prefix=""):
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(f.type) or (isinstance(f.default_factory, type)
                                                 and dataclasses.is_dataclass(f.default_factory)):
            yield from leaf_fields(f.default_factory, f"{prefix}{f.name}.")
        else:
            yield prefix + f.name


def test_default_file_equals_builtin_defaults():
    assert load_config(DEFAULT) == Config()


def test_default_file_documents_every_field():
    text = DEFAULT.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^\[([\w.]+)\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S))
    for dotted in leaf_fields(Config):
        section, name = dotted.rsplit(".", 1)
        assert section in sections, section
        line = re.search(rf"^{name} = .*$", sections[section], re.M)
        assert line and "#" in line.group(0), f"{dotted} is not documented"


def test_overrides_and_hash_change():
    a, b = load_config(), load_config(overrides={"dedup.threshold": 0.9})
    assert b.dedup.threshold == 0.9
    assert a.hash() != b.hash() and a.hash() == load_config().hash()


@pytest.mark.parametrize("toml, message", [
    ("[dedup]\nthreshold = 'high'\n", "dedup.threshold"),
    ("[nope]\nx = 1\n", "nope"),
    ("[dedup]\nkeep = 'random'\n", "dedup.keep"),
    ("[filters.lang]\nallow = 'de'\n", "filters.lang.allow"),
    ("not toml [", "not valid TOML"),
    ("[filters.quality]\nmin_words = -5\n", "filters.quality.min_words must not be negative"),
])
def test_bad_configs_raise(tmp_path, toml, message):
    p = tmp_path / "c.toml"
    p.write_text(toml)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(p)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "none.toml")
