"""Autosave files and recovery, headless: what a crashed session leaves is found; a live one's is not."""

import json
import os
import subprocess
import sys

import pytest

from builder.core.project import ProjectError, project_to_json
from builder.edit.projects import new_project
from builder.edit.recovery import Autosaver, read_recovered


def test_a_session_that_did_not_end_well_is_offered_back(tmp_path):
    crashed = Autosaver(tmp_path)
    crashed.save(project_to_json(new_project()), tmp_path / "net.json")
    fresh = Autosaver(tmp_path)
    found = fresh.left_behind()
    assert [f.file for f in found] == [crashed.file] and found[0].original == str(tmp_path / "net.json")
    assert "net.json, autosaved" in found[0].describe()
    project = read_recovered(found[0])
    assert project.path == tmp_path / "net.json" and project.models[0].name == "Net"
    Autosaver.forget(found[0])
    assert fresh.left_behind() == [] and list(tmp_path.iterdir()) == []


def test_a_window_still_running_elsewhere_is_left_alone(tmp_path):
    """Another process, alive, autosaving in the same folder: its file is not "left behind"."""
    script = (f"import sys, time; sys.path.insert(0, {str(os.getcwd())!r});"
              f"from builder.edit.recovery import Autosaver; from pathlib import Path;"
              f"a = Autosaver(Path({str(tmp_path)!r})); a.save('{{}}', None); print('saved', flush=True);"
              f"time.sleep(60)")
    other = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "saved"
        assert Autosaver(tmp_path).left_behind() == []
    finally:
        other.kill()
        other.wait()
    assert len(Autosaver(tmp_path).left_behind()) == 1  # now it is gone: its work is offered


def test_damaged_recovery_files_are_named_not_crashed_on(tmp_path):
    left = Autosaver(tmp_path)
    left.save("{not json", None)
    left.meta.write_text("[1, 2]")  # a meta file that is not an object: still offered, with its mtime
    found = Autosaver(tmp_path).left_behind()
    assert len(found) == 1 and found[0].original is None
    with pytest.raises(ProjectError) as caught:
        read_recovered(found[0])
    assert str(left.file) in str(caught.value) and "not valid JSON" in str(caught.value)


def test_discard_removes_only_its_own_files(tmp_path):
    one, two = Autosaver(tmp_path), Autosaver(tmp_path)
    one.save("{}", None)
    two.save("{}", None)
    one.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([two.file.name, two.meta.name])
    assert json.loads(two.meta.read_text())["pid"] == os.getpid()


def test_a_meta_file_without_its_data_is_cleared_not_offered(tmp_path):
    left = Autosaver(tmp_path)
    left.save("{}", None)
    left.file.unlink()  # as if killed between the meta file and the data file of its first autosave
    assert Autosaver(tmp_path).left_behind() == [] and list(tmp_path.iterdir()) == []
