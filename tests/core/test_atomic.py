"""The one atomic writer: all or nothing, permissions kept, and failures that name the path and the cause.

Faults are real where the machine allows (a tiny tmpfs that fills up, a folder the kernel refuses
writes to); where it does not, the same kernel error comes from /dev/full or a refused open.
"""

import contextlib
import errno
import os
import shutil
import stat
import subprocess
import uuid

import pytest

from builder.core import atomic
from builder.core.atomic import WriteError, atomic_write_bytes, atomic_write_text
from builder.core.project import Project, save_project


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@contextlib.contextmanager
def umask(value):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_writes_and_replaces_whole_files(tmp_path):
    path = tmp_path / "a.txt"
    atomic_write_text(path, "first")
    atomic_write_text(path, "second, longer")
    assert path.read_text() == "second, longer" and leftovers(tmp_path) == []


def test_a_new_file_gets_the_umask_permissions_not_0600(tmp_path):
    with umask(0o022):
        atomic_write_text(tmp_path / "new.json", "{}")
    assert mode_of(tmp_path / "new.json") == 0o644
    with umask(0o077):
        atomic_write_text(tmp_path / "private.json", "{}")
    assert mode_of(tmp_path / "private.json") == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600, 0o664])
def test_a_saved_project_keeps_its_permissions(tmp_path, mode):
    path = tmp_path / "net.json"
    save_project(Project(), path)
    os.chmod(path, mode)
    with umask(0o077):  # a strict umask must not narrow an existing file
        save_project(Project(), path)
    assert mode_of(path) == mode


def test_writing_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(WriteError) as caught:
        atomic_write_text(tmp_path / "nowhere" / "x.json", "{}")
    assert str(caught.value) == (f"cannot write {tmp_path / 'nowhere' / 'x.json'}: the folder does not exist; "
                                 "the previous file, if any, is unchanged")


def test_a_folder_in_the_way_is_named(tmp_path):
    (tmp_path / "x.json").mkdir()
    with pytest.raises(WriteError, match="x.json: it is a folder"):
        atomic_write_text(tmp_path / "x.json", "{}")


# -- a read-only folder ---------------------------------------------------------------------------


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder the kernel refuses to create files in: chmod for a normal user; for root (who ignores
    modes) the immutable attribute, where the file system and the container allow it."""
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "net.json").write_text("the previous project")
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)],
                                                         capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr +i: no real read-only folder here (the refused-open test covers it)")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_folder_gives_a_clear_message_and_keeps_the_file(read_only_folder):
    path = read_only_folder / "net.json"
    with pytest.raises(WriteError) as caught:
        save_project(Project(), path)
    assert str(caught.value).startswith(f"cannot write {path}: ")
    assert "permission denied" in str(caught.value) or "read-only" in str(caught.value)
    assert path.read_text() == "the previous project" and leftovers(read_only_folder) == []


def test_a_refused_open_gives_the_same_message(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    path.write_text("the previous project")

    def refuse(*_args):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.os, "open", refuse)
    with pytest.raises(WriteError, match="permission denied"):
        atomic_write_text(path, "new")
    monkeypatch.undo()
    assert path.read_text() == "the previous project"


# -- a full disk ----------------------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs: really full after a few writes. Needs root and a container that allows mounts."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (the /dev/full test covers a full disk)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_gives_a_clear_message_and_keeps_the_file(tiny_disk):
    path = tiny_disk / "weights.pt"
    atomic_write_bytes(path, b"previous weights" * 1000)  # 16 KB: fits
    with pytest.raises(WriteError) as caught:
        atomic_write_bytes(path, os.urandom(200_000))  # more than the disk holds
    assert str(caught.value).startswith(f"cannot write {path}: the disk is full")
    assert path.read_bytes() == b"previous weights" * 1000 and leftovers(tiny_disk) == []


def test_a_write_that_hits_enospc_keeps_the_file(tmp_path, monkeypatch):
    """The kernel's own ENOSPC, from /dev/full, standing in for a full disk."""
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(b"previous")
    tmp = tmp_path / f".checkpoint.pt.{uuid.uuid4().hex[:8]}.tmp"
    monkeypatch.setattr(atomic, "_create_beside", lambda target: (tmp, os.open("/dev/full", os.O_WRONLY)))
    with pytest.raises(WriteError, match="the disk is full"):
        atomic_write_bytes(path, b"x" * 100_000)
    assert path.read_bytes() == b"previous"


def test_leftovers_of_a_killed_writer_are_removed(tmp_path):
    from builder.core.atomic import remove_leftovers

    (tmp_path / "checkpoint.pt").write_bytes(b"whole")
    for name in (".checkpoint.pt.1a2b3c4d.tmp", ".checkpoint.pt.ffff0000.tmp", ".other.pt.12345678.tmp"):
        (tmp_path / name).write_bytes(b"half")
    removed = remove_leftovers(tmp_path / "checkpoint.pt")
    assert sorted(p.name for p in removed) == [".checkpoint.pt.1a2b3c4d.tmp", ".checkpoint.pt.ffff0000.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.pt.12345678.tmp", "checkpoint.pt"]
