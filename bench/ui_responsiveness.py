"""Is the window responsive while a CPU training run goes on in its thread?

A 10 ms QTimer in the GUI thread records how late each tick comes while the example project (more
samples and epochs) trains from the window; prints the 99th percentile and the maximum lateness.
Then the same project trains headless, as `builder train` does, in this process; the window's
run time against the headless one gives the slowdown.
Targets: p99 under 30 ms, max under 100 ms, slowdown under 10%.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui_responsiveness.py [--samples N] [--epochs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from builder.core.document import Document  # noqa: E402
from builder.core.templates import EXAMPLE, load_template  # noqa: E402
from builder.edit.recovery import Autosaver  # noqa: E402
from builder.train.engine import Trainer  # noqa: E402
from builder.train.events import EpochEnd  # noqa: E402
from builder.train.setup import prepare  # noqa: E402
from builder.ui import theme  # noqa: E402
from builder.ui.main_window import MainWindow  # noqa: E402


def project(samples: int, epochs: int):
    p = load_template(EXAMPLE)
    p.data["source"]["samples"] = samples
    p.training.update({"epochs": epochs, "device": "cpu"})
    return p


def headless(samples: int, epochs: int) -> float:
    """Training time as `builder train` spends it: prepare excluded, every event consumed."""
    run = prepare(project(samples, epochs))
    seconds = 0.0
    for event in Trainer(run):
        if isinstance(event, EpochEnd):
            seconds += event.record.seconds
    return seconds


gui_cpu: list[float] = []  # CPU seconds the GUI thread used during each run


def headless_in_thread(samples: int, epochs: int) -> float:
    """The same headless run in a plain worker thread: the window's run minus the window."""
    out: list[float] = []
    worker = threading.Thread(target=lambda: out.append(headless(samples, epochs)))
    worker.start()
    worker.join()
    return out[0]


def in_window(app: QApplication, samples: int, epochs: int) -> tuple[list[float], float]:
    folder = Path(tempfile.mkdtemp())
    p = project(samples, epochs)
    p.path = None
    window = MainWindow(Document(p), settings=QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat),
                       autosaver=Autosaver(folder / "recovery"))
    window.resize(1440, 900)
    window.show()
    app.processEvents()
    ui = window.training
    ui.warm_up().join()  # as the app does a moment after it opens, long before anyone clicks Train
    late: list[float] = []
    clock = QElapsedTimer()
    epoch_seconds: list[float] = []
    ui.controller.epoch_ended.connect(lambda e: epoch_seconds.append(e.record.seconds))
    timer = QTimer()
    timer.setInterval(10)
    last = [0]

    def tick() -> None:
        now = clock.elapsed()
        if last[0] and ui.controller.running:
            late.append(max(0, now - last[0] - 10))
        last[0] = now

    timer.timeout.connect(tick)
    clock.start()
    timer.start()
    ui.controller.running_changed.connect(lambda running: None if running else app.exit(0))  # quit() would close windows
    ui.train_action.trigger()
    cpu = time.thread_time()
    app.exec()  # the real event loop, as in the app
    gui_cpu.append(time.thread_time() - cpu)
    timer.stop()
    window.document.undo_stack.set_clean()
    window.close()
    return late, sum(epoch_seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    theme.apply(app)
    late: list[float] = []
    window_times, headless_times, thread_times = [], [], []
    for _ in range(args.repeats):  # interleaved, so drift in the machine's load hits all alike
        ticks, seconds = in_window(app, args.samples, args.epochs)
        late += ticks
        window_times.append(seconds)
        headless_times.append(headless(args.samples, args.epochs))
        thread_times.append(headless_in_thread(args.samples, args.epochs))
    window_seconds, base = min(window_times), min(headless_times)
    lateness = np.array(late)
    print(f"{args.samples:,} samples, {args.epochs} epochs, CPU, best of {args.repeats}; "
          f"{len(late):,} timer ticks during training")
    print(f"10 ms timer lateness: p99 {np.percentile(lateness, 99):.1f} ms (target < 30), "
          f"max {lateness.max():.1f} ms (target < 100), median {np.median(lateness):.1f} ms")
    print(f"GUI thread CPU during a run: {min(gui_cpu):.2f} s (best run)")
    pairs = [w / h - 1 for w, h in zip(window_times, headless_times)]
    print("runs (window / headless): " + ", ".join(f"{w:.2f}/{h:.2f}" for w, h in zip(window_times, headless_times)))
    print(f"training time: window {window_seconds:.2f} s, headless {base:.2f} s (best of each): "
          f"slowdown {window_seconds / base - 1:+.1%}; median of paired runs {float(np.median(pairs)):+.1%} "
          f"(target < 10%)")
    print(f"the same headless run in a plain worker thread: best {min(thread_times):.2f} s; the window against it "
          f"{window_seconds / min(thread_times) - 1:+.1%} (what the window itself costs)")


if __name__ == "__main__":
    main()
