"""Autosave to recovery files, and finding the ones a crashed session left behind.

Each running window writes its own file (named by a session id) while it has unsaved changes,
and removes it when the work is saved or discarded. A file still there at start-up belongs to a
session that did not end well, and is offered back. The folder is the caller's to choose (the app
asks the OS where state belongs); nothing here knows about Qt.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from builder.core.atomic import atomic_write_text
from builder.core.i18n import tr
from builder.core.project import Project, ProjectError, parse_project


@dataclass(frozen=True)
class Recovered:
    file: Path  # the recovery file (project JSON)
    original: str | None  # the project file it was autosaved from, if it had one
    saved_at: float

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        if not self.original:
            return tr("an untitled project, autosaved {when}", when=when)
        return tr("{file}, autosaved {when}", file=Path(self.original).name, when=when)


class Autosaver:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.session = uuid.uuid4().hex[:12]

    @property
    def file(self) -> Path:
        return self.folder / f"{self.session}.json"

    @property
    def meta(self) -> Path:
        return self.folder / f"{self.session}.meta.json"

    def save(self, project_json: str, original: Path | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # The meta file first: a kill between the two writes then leaves a meta without data (skipped), never
        # data without its meta (which would never be offered, nor removed).
        atomic_write_text(self.meta, json.dumps({"original": str(original) if original else None,
                                                 "saved_at": time.time(), "pid": os.getpid(),
                                                 "host": socket.gethostname()}))
        atomic_write_text(self.file, project_json)

    def discard(self) -> None:
        for path in (self.file, self.meta):
            path.unlink(missing_ok=True)

    def left_behind(self) -> list[Recovered]:
        """Recovery files of other sessions, newest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for meta in self.folder.glob("*.meta.json"):
            data = meta.with_name(meta.name.removesuffix(".meta.json") + ".json")
            if data == self.file:
                continue
            if not data.is_file():  # killed before its first data file was written: nothing to offer
                if not _still_running(_read_meta(meta)):
                    meta.unlink(missing_ok=True)
                continue
            info = _read_meta(meta)
            if _still_running(info):
                continue  # another window, open right now, is autosaving there: not left behind
            original, saved = info.get("original"), info.get("saved_at")
            found.append(Recovered(data, original if isinstance(original, str) else None,
                                   float(saved) if _is_number(saved) else data.stat().st_mtime))
        return sorted(found, key=lambda r: r.saved_at, reverse=True)

    @staticmethod
    def forget(recovered: Recovered) -> None:
        recovered.file.unlink(missing_ok=True)
        recovered.file.with_name(recovered.file.name.removesuffix(".json") + ".meta.json").unlink(missing_ok=True)


def _read_meta(meta: Path) -> dict:
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _still_running(info: dict) -> bool:
    """Whether another process that wrote a recovery file is alive on this machine (this process's own
    files from an earlier Autosaver count as left behind: that is how a test stands in for a crash)."""
    pid = info.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or pid == os.getpid():
        return False
    if info.get("host") != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # alive, and someone else's
    return True


def read_recovered(found: Recovered) -> Project:
    """The recovered work as a project of the file it was autosaved from (None: untitled). Raises
    ProjectError, with the recovery file named, when it cannot be read."""
    try:
        text = found.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(str(found.file), [tr("cannot be read: {reason}", reason=exc)]) from None
    project = parse_project(text, str(found.file))
    project.path = Path(found.original) if found.original else None
    return project
