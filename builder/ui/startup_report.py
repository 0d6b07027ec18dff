"""BUILDER_REPORT_FIRST_PAINT: how long the start took, printed as one JSON line, then the app quits.

`=1`: the seconds from the process's start to the main window's first frame (`first_paint_s`), and whether
PyTorch was imported by then (`torch_imported`: it should not be).
`=torch`: that, then the seconds until PyTorch has loaded in the background and the training part is in the
window (`torch_loaded_s`), and the longest the window went without handling its events meanwhile
(`longest_stall_ms`: what a user clicking then would wait). `clock` is the wall clock at that moment, for a
caller that timed the start itself (bench/startup_bench.py).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

VARIABLE = "BUILDER_REPORT_FIRST_PAINT"
TICK_MS = 10
_IMPORTED = time.time()  # the fallback start, where the OS cannot tell


def process_started() -> float:
    """When this process started, on the wall clock: from Linux's /proc (to 10 ms), else about when this module
    was imported."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started_after_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime, in clock ticks
        up = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _IMPORTED
    age = up - started_after_boot
    plausible = 0 <= age <= time.time() - _IMPORTED + 60  # a container's own uptime can disagree
    return time.time() - age if plausible else _IMPORTED


def report_startup(window: Any, mode: str) -> None:
    """Print the first paint (and, for "torch", the background load), then quit the app."""
    started = process_started()
    stall = StallMeter()

    def emit(**figures: float | bool) -> None:
        now = time.time()
        print(json.dumps({**figures, "clock": round(now, 6)}), flush=True)

    def painted() -> None:
        emit(first_paint_s=round(time.time() - started, 3), torch_imported="torch" in sys.modules)
        if mode != "torch":
            QApplication.instance().quit()
            return
        stall.start()
        window.torch.when_loaded(loaded)
        window.torch.failed.connect(failed)

    def loaded() -> None:
        emit(torch_loaded_s=round(time.time() - started, 3), longest_stall_ms=stall.stop())
        QApplication.instance().quit()

    def failed(error: str) -> None:
        print(error, file=sys.stderr)
        QApplication.instance().exit(1)

    window.first_painted.connect(painted)


class StallMeter:
    """The longest gap between ticks of a 10 ms timer beyond its interval: the window's longest freeze."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.longest = 0

    def start(self) -> None:
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        self.longest = max(self.longest, self.clock.restart() - TICK_MS)

    def stop(self) -> int:
        self._tick()
        self.timer.stop()
        return self.longest
