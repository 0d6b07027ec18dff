"""kill -9 of the app while editing: the next start offers the work back, losing at most the last minute.

Both starts are real processes of the app (tests/ui/crash_driver.py: builder.launcher.main with the dialogs
answered), with their home, state and settings folders in tmp_path, so the autosave lands where the OS's
state location says (QStandardPaths' StateLocation: $XDG_STATE_HOME on Linux) and nothing of the user's is
touched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.core.project import save_project
from builder.core.templates import EXAMPLE, load_template

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

DRIVER = Path(__file__).with_name("crash_driver.py")
PATIENCE = 120.0  # seconds for the app to start and act, on a busy machine


def app_environment(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)  # Qt wants it private
    folders = {"XDG_STATE_HOME": home / ".local" / "state", "XDG_CONFIG_HOME": home / ".config",
               "XDG_DATA_HOME": home / ".local" / "share", "XDG_CACHE_HOME": home / ".cache"}
    return {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime), "QT_QPA_PLATFORM": "offscreen",
            **{name: str(path) for name, path in folders.items()}}


@pytest.fixture
def start_app(tmp_path):
    """Start the driver; its JSON lines go to a file the test polls (a pipe could block the app or the test).
    An app still running when the test ends (one that failed) is killed."""
    started = []

    def start(mode: str, project: Path) -> subprocess.Popen:
        output = tmp_path / f"{mode}.out"
        with output.open("w") as out, (tmp_path / f"{mode}.err").open("w") as err:
            process = subprocess.Popen([sys.executable, str(DRIVER), mode, str(project)], stdout=out, stderr=err,
                                       cwd=tmp_path, env=app_environment(tmp_path))
        process.output = output
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()  # nothing happens to one that has ended
        process.wait()


def steps(process: subprocess.Popen) -> dict[str, dict]:
    lines = process.output.read_text().splitlines()
    return {step["step"]: step for step in map(json.loads, lines)}


def wait_for_step(process: subprocess.Popen, step: str) -> dict:
    deadline = time.monotonic() + PATIENCE
    while step not in steps(process):
        assert process.poll() is None, f"the app ended (exit {process.returncode}) before '{step}': {details(process)}"
        assert time.monotonic() < deadline, f"waited {PATIENCE:.0f} s for '{step}': {details(process)}"
        time.sleep(0.05)
    return steps(process)[step]


def details(process: subprocess.Popen) -> str:
    return process.output.read_text() + process.output.with_suffix(".err").read_text()[-3000:]


def test_work_autosaved_before_a_kill_9_is_recovered(start_app, tmp_path):
    project = tmp_path / "shapes.json"
    save_project(load_template(EXAMPLE), project)
    saved = project.read_bytes()
    left = kill_while_editing(start_app("edit", project), tmp_path)

    recovering = start_app("recover", project)
    recovering.wait(timeout=PATIENCE)
    assert recovering.returncode == 0, details(recovering)
    assert "error" not in steps(recovering)
    recovered, closed = steps(recovering)["recovered"], steps(recovering)["closed"]
    question, = recovered["asked"]
    assert f"closed before saving {project.name}, autosaved" in question and "Recover that work?" in question
    assert recovered["out_channels"] == 32  # the edit made before the autosave
    assert recovered["bias"] is True  # the edit after it, made within the minute before the next one, is lost
    assert recovered["path"] == str(project)  # saving goes back to the original file
    assert recovered["dirty"] and recovered["modified"]  # unsaved: the title has its '*', closing asks
    assert left.name not in recovered["files"]  # the crashed session's recovery file is gone...
    assert recovered["files"] == [f"{recovered['session']}.json", f"{recovered['session']}.meta.json"]
    # ...and the recovered work, unsaved still, has its own autosave until it is saved or discarded
    assert closed["asked"][-1] == f"save changes to {project.name}?"  # told to discard: no file left behind
    assert closed["closed"] and closed["files"] == []
    assert project.read_bytes() == saved  # recovering never writes over the project file


def kill_while_editing(editing: subprocess.Popen, tmp_path: Path) -> Path:
    """SIGKILL once the app has autosaved one edit and made another; the recovery file it leaves."""
    autosaved = wait_for_step(editing, "autosaved")
    os.kill(editing.pid, signal.SIGKILL)
    editing.wait(timeout=30)  # reaped: a zombie would still count as a window open right now
    assert editing.returncode == -signal.SIGKILL
    started = steps(editing)["started"]
    assert started["interval"] == 60_000 and started["active"]  # the app's own timer: every minute
    folder = Path(started["folder"])
    assert folder.is_relative_to(tmp_path / "home" / ".local" / "state")  # the OS's place for app state
    left = Path(autosaved["file"])
    assert left.parent == folder and left.is_file()
    assert autosaved["out_channels"] == 32 and autosaved["bias"] is False  # both edits were in the window
    return left
