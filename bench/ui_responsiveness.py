"""Does training in the window take as long as `builder train`, and does the window stay responsive meanwhile?

The example project (more samples and epochs) trains three ways, interleaved, `--repeats` times each:
- headless: in the main thread of a fresh process, as `builder train` does (a spawned child: this process's
  main thread must not compute with torch, or its OpenMP team would slow the other two, see
  builder/ui/training/worker.py);
- plain thread: the same run in a plain worker thread of this process, with no window;
- window: from the window, Train pressed, the real event loop running, while a 10 ms QTimer in the GUI thread
  records how late each tick comes.
Each time is the training's own (the epochs' seconds; preparing and starting up excluded).
Targets: window at most 1.05× headless; timer lateness p99 under 30 ms, max under 100 ms.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui_responsiveness.py [--samples N] [--epochs N] [--repeats N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import torch  # noqa: E402
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


def train(samples: int, epochs: int) -> tuple[float, int]:
    """Training time as `builder train` spends it (prepare excluded, every event consumed), and torch's threads."""
    run = prepare(project(samples, epochs))
    seconds = 0.0
    for event in Trainer(run):
        if isinstance(event, EpochEnd):
            seconds += event.record.seconds
    return seconds, torch.get_num_threads()


def headless(samples: int, epochs: int) -> tuple[float, int]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(train, (samples, epochs))


def plain_thread(samples: int, epochs: int, threads: int) -> tuple[float, int]:
    """The run in a plain worker thread, on the threads a headless run has (what the window's worker sets too)."""
    out: list[tuple[float, int]] = []

    def work() -> None:
        torch.set_num_threads(threads)
        out.append(train(samples, epochs))

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    return out[0]


class Window:
    """One run from the window, with the GUI timer's lateness and the GUI thread's CPU time during it."""

    def __init__(self, app: QApplication, samples: int, epochs: int) -> None:
        folder = Path(tempfile.mkdtemp())
        p = project(samples, epochs)
        p.path = None
        self.app = app
        self.window = MainWindow(Document(p), settings=QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat),
                                 autosaver=Autosaver(folder / "recovery"))
        self.window.resize(1440, 900)
        self.window.show()
        app.processEvents()
        self.ui = self.window.training
        self.ui.warm_up().join()  # as the app does a moment after it opens, long before anyone clicks Train
        self.late: list[float] = []
        self.epoch_seconds: list[float] = []
        self.threads = 0
        controller = self.ui.controller
        controller.epoch_ended.connect(lambda e: self.epoch_seconds.append(e.record.seconds))
        controller.started.connect(lambda _e: controller.ask("threads", lambda _trainer: torch.get_num_threads()))
        controller.answered.connect(lambda answer: setattr(self, "threads", answer.value))
        controller.running_changed.connect(lambda running: None if running else app.exit(0))  # quit() closes windows

    def run(self) -> tuple[float, list[float], float]:
        clock, timer, last = QElapsedTimer(), QTimer(), [0]
        timer.setInterval(10)

        def tick() -> None:
            now = clock.elapsed()
            if last[0] and self.ui.controller.running:
                self.late.append(max(0, now - last[0] - 10))
            last[0] = now

        timer.timeout.connect(tick)
        clock.start()
        timer.start()
        self.ui.train_action.trigger()
        cpu = time.thread_time()
        self.app.exec()  # the real event loop, as in the app
        gui_cpu = time.thread_time() - cpu
        timer.stop()
        self.window.document.undo_stack.set_clean()
        self.window.close()
        return sum(self.epoch_seconds), self.late, gui_cpu


def summary(name: str, times: list[float], base: list[float] | None = None) -> str:
    line = f"  {name:<13} best {min(times):6.2f} s   median {statistics.median(times):6.2f} s"
    if base:
        line += f"   × headless: best {min(times) / min(base):.2f}, median {statistics.median(times) / statistics.median(base):.2f}"
    return line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    threads = torch.get_num_threads()  # read only: this thread computes nothing, so it starts no OpenMP team
    app = QApplication(sys.argv[:1])
    theme.apply(app)
    times: dict[str, list[float]] = {"headless": [], "plain thread": [], "window": []}
    counts: dict[str, set[int]] = {name: set() for name in times}
    late: list[float] = []
    worst: list[float] = []  # each run's latest tick: is the worst one a first run's (imports) or any run's?
    gui_cpu: list[float] = []
    for _ in range(args.repeats):  # interleaved, so drift in the machine's load hits all alike
        window = Window(app, args.samples, args.epochs)
        seconds, ticks, cpu = window.run()
        times["window"].append(seconds)
        counts["window"].add(window.threads)
        late += ticks
        worst.append(max(ticks, default=0.0))
        gui_cpu.append(cpu)
        for name, measure in (("headless", lambda: headless(args.samples, args.epochs)),
                              ("plain thread", lambda: plain_thread(args.samples, args.epochs, threads))):
            seconds, used = measure()
            times[name].append(seconds)
            counts[name].add(used)
    lateness = np.array(late)
    print(f"{args.samples:,} samples, {args.epochs} epochs, CPU, {args.repeats} runs each (training time)")
    print("  torch threads: " + ", ".join(f"{name} {'/'.join(map(str, sorted(c)))}" for name, c in counts.items()))
    for name, values in times.items():
        print(summary(name, values, times["headless"] if name != "headless" else None))
    print(f"  window × plain thread: best {min(times['window']) / min(times['plain thread']):.2f} "
          f"(what the window itself costs)   target: window × headless ≤ 1.05")
    print(f"GUI 10 ms timer lateness over {len(late):,} ticks: p99 {np.percentile(lateness, 99):.1f} ms (target < 30), "
          f"max {lateness.max():.1f} ms (target < 100), median {np.median(lateness):.1f} ms; "
          f"max of each run: {', '.join(f'{w:.0f}' for w in worst)} ms")
    print(f"GUI thread CPU during a run: best {min(gui_cpu):.2f} s, median {statistics.median(gui_cpu):.2f} s")


if __name__ == "__main__":
    main()
