"""Publishing a release: Parquet shards, audit, manifest, card, plots, changelog; diff and push.

The names below load their modules on first use: `builder clean` and the cleaning workers use
`builder.publish.pii` and `.parquet` only, and the release writer's imports (matplotlib, the card,
the hub client) cost a process ~0.6 s.
"""
from importlib import import_module

_WHERE = {"ReleaseExtras": "release", "publish_release": "release", "input_fingerprint": "manifest",
          "resolve_version": "versions"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"builder.publish.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
