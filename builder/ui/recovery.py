"""Autosave to recovery files, and finding the ones a crashed session left behind.

Each running window writes its own file (named by a session id) while it has unsaved changes,
and removes it when the work is saved or discarded. A file still there at start-up belongs to a
session that did not end well, and is offered back.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from builder.core.atomic import atomic_write_text


def default_folder() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "nn-builder" / "recovery"


@dataclass(frozen=True)
class Recovered:
    file: Path  # the recovery file (project JSON)
    original: str | None  # the project file it was autosaved from, if it had one
    saved_at: float

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        name = Path(self.original).name if self.original else "an untitled project"
        return f"{name}, autosaved {when}"


class Autosaver:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or default_folder()
        self.session = uuid.uuid4().hex[:12]

    @property
    def file(self) -> Path:
        return self.folder / f"{self.session}.json"

    @property
    def meta(self) -> Path:
        return self.folder / f"{self.session}.meta.json"

    def save(self, project_json: str, original: Path | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.file, project_json)
        atomic_write_text(self.meta, json.dumps({"original": str(original) if original else None,
                                                 "saved_at": time.time()}))

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
            if data == self.file or not data.is_file():
                continue
            try:
                info = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                info = {}
            found.append(Recovered(data, info.get("original"), float(info.get("saved_at") or data.stat().st_mtime)))
        return sorted(found, key=lambda r: r.saved_at, reverse=True)

    @staticmethod
    def forget(recovered: Recovered) -> None:
        recovered.file.unlink(missing_ok=True)
        recovered.file.with_name(recovered.file.name.removesuffix(".json") + ".meta.json").unlink(missing_ok=True)
