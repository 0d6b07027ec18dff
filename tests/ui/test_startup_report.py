"""The app's own start, in a process of its own: its window paints before PyTorch is imported, PyTorch then loads
in the background, and BUILDER_REPORT_FIRST_PAINT reports both (bench/startup_bench.py reads it)."""

import json
import os
import subprocess
import sys
import time


def start_app(tmp_path, mode):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c"),
           "XDG_STATE_HOME": str(tmp_path / "s"), "BUILDER_REPORT_FIRST_PAINT": mode}  # a new user: nothing kept
    launched = time.time()
    done = subprocess.run([sys.executable, "-m", "builder"], env=env, capture_output=True, text=True, timeout=180)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done, lines, launched


def test_the_window_paints_before_torch_is_imported_then_torch_loads(tmp_path):
    done, lines, launched = start_app(tmp_path, "torch")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    painted, loaded = lines
    assert painted["torch_imported"] is False
    # The process's start, as the OS tells it (to 10 ms), lies between this launch and the first paint.
    assert 0 < painted["first_paint_s"] <= painted["clock"] - launched + 0.02
    assert painted["first_paint_s"] < loaded["torch_loaded_s"] and painted["clock"] < loaded["clock"]
    assert loaded["longest_stall_ms"] >= 0


def test_quitting_while_torch_still_loads_ends_cleanly(tmp_path):
    done, lines, _ = start_app(tmp_path, "1")  # quits at the first paint, as the load begins
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Fatal" not in done.stderr
    assert len(lines) == 1 and lines[0]["torch_imported"] is False
