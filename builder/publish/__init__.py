"""Publishing a release: Parquet shards, audit, manifest, card, plots, changelog; diff and push."""
from builder.publish.manifest import input_fingerprint
from builder.publish.release import ReleaseExtras, publish_release
from builder.publish.versions import resolve_version

__all__ = ["ReleaseExtras", "input_fingerprint", "publish_release", "resolve_version"]
