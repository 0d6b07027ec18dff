"""Every file NN Builder writes goes through here, so a crash, a full disk or a read-only folder never
leaves a half-written file behind, and a failure names the path and the cause in words.

The bytes go to a temporary file in the target's folder (so the final rename stays on one file
system), are flushed to the disk, take the target's permissions, and replace the target in one
`os.replace`. Until that rename, the previous file is untouched.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import secrets
import stat
from pathlib import Path

from builder.core.i18n import N_, tr

_REASONS = {
    errno.EACCES: N_("permission denied (the folder is read-only or belongs to someone else)"),
    errno.EPERM: N_("permission denied (the folder is read-only or belongs to someone else)"),
    errno.EROFS: N_("the disk is read-only"),
    errno.ENOSPC: N_("the disk is full"),
    errno.EDQUOT: N_("the disk quota is used up"),
    errno.ENOENT: N_("the folder does not exist"),
    errno.ENOTDIR: N_("a part of the path is a file, not a folder"),
    errno.EISDIR: N_("it is a folder"),
    errno.ENAMETOOLONG: N_("the name is too long"),
}


class WriteError(OSError):
    """A file that could not be written: `str()` names the path and the cause, for the user."""

    def __init__(self, path: str | os.PathLike, cause: OSError) -> None:
        known = _REASONS.get(cause.errno)
        reason = tr(known) if known else cause.strerror or str(cause)
        super().__init__(cause.errno, reason, str(path))
        self.path = Path(path)
        self.reason = reason

    def __str__(self) -> str:
        return tr("cannot write {path}: {reason}; the previous file, if any, is unchanged", path=self.path,
                  reason=self.reason)


def atomic_write_bytes(path: str | os.PathLike, data: bytes | bytearray | memoryview) -> None:
    """Write `data` to `path` all at once or not at all. A new file gets the usual permissions (0666
    less the umask), an existing one keeps its own. Raises WriteError."""
    target = Path(os.path.realpath(path))  # through a symlink to the file it names, keeping the link
    try:
        _write(target, memoryview(data))
    except WriteError:
        raise
    except OSError as exc:
        raise WriteError(path, exc) from None


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def remove_leftovers(path: str | os.PathLike) -> list[Path]:
    """Delete the temporary files a writer killed mid-write (kill -9, a power cut) left beside `path`. Only for
    a file one process writes at a time (a run's checkpoint): another writer's temporary file would go too."""
    target = Path(os.path.realpath(path))
    removed = []
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed.append(leftover)
    return removed


def _write(target: Path, data: memoryview) -> None:
    folder = target.parent
    if not folder.is_dir():
        raise OSError(errno.ENOENT if not folder.exists() else errno.ENOTDIR, "", str(folder))
    if target.is_dir():
        raise OSError(errno.EISDIR, "", str(target))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None  # a new file: the mode os.open gives it below (0666 less the umask)
    tmp, fd = _create_beside(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if mode is not None:
                os.chmod(tmp, mode)
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)


def _create_beside(target: Path) -> tuple[Path, int]:
    """A new, empty temporary file next to the target. Unlike mkstemp (always 0600), it is created with
    0666 so that the umask, applied by the system, decides a new file's permissions."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); where folders cannot be opened (Windows), skip it."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
