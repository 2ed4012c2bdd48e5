"""`builder push RELEASE --repo ORG/NAME`: upload a release to the Hugging Face Hub and tag it.

One commit per release, tagged `v<version>`, so `load_dataset(repo, revision="v1.1.0")` always
gives the bytes of that version. Files of an earlier version that this one no longer has
(e.g. shards after a re-sharding) are deleted in the same commit, or the `data/train-*` glob
would mix versions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from builder.errors import BuilderError
from builder.publish.manifest import read_manifest, require_intact

_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")
REPLACED = ["data/*", "audit/*", "plots/*", "dedup/*"]


@dataclass
class PushItem:
    path: str     # relative to the release, as it lands in the repo
    bytes: int

    def __str__(self) -> str:
        return f"{self.bytes:>12,}  {self.path}"


def push_plan(release: Path) -> list[PushItem]:
    release = Path(release)
    return [PushItem(p.relative_to(release).as_posix(), p.stat().st_size)
            for p in sorted(release.rglob("*")) if p.is_file()]


def push_release(release: Path, repo: str, *, dry_run: bool, token: str | None = None,
                 private: bool = False) -> list[PushItem]:
    """Upload every file of the release (or, with dry_run, only list them) and tag the commit."""
    release = Path(release)
    manifest = read_manifest(release)
    version = manifest["version"]
    if not _REPO.match(repo):
        raise BuilderError(f"--repo must look like ORG/NAME, got {repo!r}")
    # A release is published as built, not under a version whose manifest and card say otherwise.
    require_intact(release, manifest, "not pushed")
    items = push_plan(release)
    if dry_run:
        return items

    from huggingface_hub import HfApi

    api, tag = HfApi(token=token), f"v{version}"
    try:
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        tags = {ref.name for ref in api.list_repo_refs(repo, repo_type="dataset").tags}
        if tag in tags:
            raise BuilderError(f"{repo} already has {tag}; a published version is never overwritten")
        commit = api.upload_folder(repo_id=repo, folder_path=release, repo_type="dataset",
                                   commit_message=f"Release {version}", delete_patterns=REPLACED)
        api.create_tag(repo, tag=tag, revision=commit.oid, repo_type="dataset",
                       tag_message=f"builder release {version}")
    except BuilderError:
        raise
    except Exception as e:  # noqa: BLE001 - the hub client's network errors come from whichever HTTP library it uses
        first = (str(e).splitlines() or [""])[0]
        raise BuilderError(f"push to {repo} failed: {type(e).__name__}: {first}") from None
    return items
