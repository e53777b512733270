"""The folder an export writes into, and the optional packages it needs.

An export claims its folder with a small manifest (`MANIFEST`) before it writes
anything else: a later export of the same kind adds to that folder; a folder holding
anything else (not empty, no manifest of ours, or one of the other kind) is refused,
and nothing in it is touched.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ablation.io import atomic_write

MANIFEST = "ablation-export.json"
WRITER = "ablation export"  # the manifest's `writer`: how we recognise our own folders
VERSION = 1


class ExportFolderError(ValueError):
    """A folder an export must not write into; the message names it and the fix."""


class MissingExtra(RuntimeError):
    """An export whose optional packages are not installed; the message says what to install."""


def require(extra: str, *modules: str) -> list[ModuleType]:
    """Import the packages of the `extra` (e.g. "tensorboard"), or say how to install them."""
    loaded = []
    for name in modules or (extra,):
        try:
            loaded.append(importlib.import_module(name))
        except ImportError as err:
            raise MissingExtra(
                f"--{extra} needs the optional package {extra} ({err}); "
                f"install it with: pip install 'ablation[{extra}]'"
            ) from None
    return loaded


@dataclass
class Exported:
    """What one export did: the runs it added and those an earlier export had written."""

    folder: Path
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "added": self.added, "kept": self.kept}


def claim(folder: Path, kind: str, option: str) -> dict[str, Any]:
    """Check that `folder` may hold an export of `kind`, mark it ours, return its manifest.

    `option` is the command-line option that named the folder (for the message).
    """
    manifest = read_manifest(folder, kind, option)
    if manifest is None:
        manifest = {"writer": WRITER, "kind": kind, "version": VERSION}
        write_manifest(folder, manifest)
    return manifest


def read_manifest(folder: Path, kind: str, option: str) -> dict[str, Any] | None:
    """The manifest of a previous export of `kind` in `folder`; None for a new or empty one."""
    if folder.exists() and not folder.is_dir():
        raise ExportFolderError(f"{option} {folder}: is a file; pass a folder (new or empty)")
    path = folder / MANIFEST
    if not path.exists():
        entries = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        if entries:
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise ExportFolderError(
                f"{option} {folder}: holds other files ({shown}) and no {MANIFEST}, so it is "
                f"not an export of ours; nothing was written. Pass a new or empty folder, or "
                f"one an earlier `ablation export {option}` wrote"
            )
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ExportFolderError(
            f"{option} {folder}: unreadable {MANIFEST} ({err}); pass another folder"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("writer") != WRITER:
        raise ExportFolderError(
            f"{option} {folder}: its {MANIFEST} was not written by `{WRITER}`; "
            "pass a new or empty folder"
        )
    if manifest.get("kind") != kind:
        raise ExportFolderError(
            f"{option} {folder}: holds an export for {manifest.get('kind')}, not {kind}; "
            "pass a new or empty folder"
        )
    return manifest


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    with atomic_write(folder / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
