"""The only place that knows how files are written: atomically, or not at all.

Every output of the pipeline is written to a hidden temporary file beside its
final name, flushed to disk, then renamed over the final name in one step
(`os.replace` is atomic on POSIX file systems). A crash, a kill or a full disk
therefore leaves either the previous file or none under the final name, never
half of one. Temporary files carry the writer's host and process id, so the
leftovers of a killed writer are swept away by the next write of the same file.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import glob
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# errno values that mean "no room": disk full, quota, file-size limit (ulimit -f).
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
# errno values that mean "not allowed to write here".
_NO_ACCESS = {errno.EACCES, errno.EPERM, errno.EROFS}
_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname()) or "host"


class WriteError(OSError):
    """An output could not be written; the message names the file, the cause and the fix."""

    def __init__(self, path: Path, cause: OSError):
        super().__init__(cause.errno, _explain(path, cause))
        self.filename = str(path)

    def __str__(self) -> str:
        return self.strerror or ""


def _explain(path: Path, cause: OSError) -> str:
    reason = os.strerror(cause.errno) if cause.errno else str(cause)  # libraries garble strerror
    if cause.errno in _NO_SPACE:
        return (
            f"cannot write {path}: {reason} (disk full, quota or file-size limit). "
            "Nothing was written under that name and finished results are intact; "
            "free some space (or raise the limit) and run the same command again"
        )
    if cause.errno in _NO_ACCESS:
        return (
            f"cannot write {path}: {reason} (the folder {path.parent} is not writable). "
            "Make it writable (chmod/chown) or run the workflow in a folder you own"
        )
    return f"cannot write {path}: {reason}"


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one step.

    Parameters
    ----------
    path : the final name. Its folder is created if missing.

    Yields
    ------
    Path
        A hidden temporary file in the same folder (same file system, so the
        final rename is atomic); write the whole content to it.

    Raises
    ------
    WriteError
        When the folder is not writable or the disk is full; the final name is
        then untouched (the previous file, if any, survives).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _sweep_stale(path)
        fd, name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as err:
        raise WriteError(path, err) from err
    tmp = Path(name)
    try:
        yield tmp
        _finish(tmp, path)
    except BaseException as err:
        _discard(tmp)
        cause = _os_cause(err)
        if cause is None or isinstance(err, WriteError):
            raise
        raise WriteError(path, cause) from err


def torch_save_atomic(obj: Any, path: str | Path) -> None:
    """`torch.save(obj)` to `path` atomically.

    Saved through a Python file object: torch's own file writer reports a full
    disk as a bare stream error, a Python file as the OSError it is.
    """
    import torch  # deferred: most writers need no torch

    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        torch.save(obj, f)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically."""
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _os_cause(err: BaseException) -> OSError | None:
    """The "no room" or "not allowed" OSError behind `err`, if any (libraries wrap it)."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OSError) and err.errno in _NO_SPACE | _NO_ACCESS:
            return err
        err = err.__cause__ or err.__context__
    return None


def _finish(tmp: Path, path: Path) -> None:
    # mkstemp creates 0600 files; outputs get the usual permissions (0666 minus umask).
    with contextlib.suppress(OSError):  # some network file systems refuse: keep 0600
        os.chmod(tmp, 0o666 & ~_umask())
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())  # the content is on disk before the name points at it
    os.replace(tmp, path)
    _fsync_dir(path.parent)  # and the rename itself survives a power loss


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


@functools.cache
def _umask() -> int:
    # Read, not set-and-restore: setting it would race with threads creating files.
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be synced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.{_HOST}-{os.getpid()}."


def _sweep_stale(path: Path) -> None:
    """Remove temporary files of `path` left by killed writers on this host."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.{re.escape(_HOST)}-(\d+)\.[^.]+\.tmp$")
    for candidate in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        match = pattern.match(candidate.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                candidate.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True
