"""Start speed: `builder` with no arguments, as a new user starts it (the example project, no settings kept).

Launches the app N times (BUILDER_REPORT_FIRST_PAINT=torch: it prints its figures and quits) and prints, from
the moment before the process is launched:
- first paint: the main window's first frame, target under 1.5 s;
- torch loaded: PyTorch imported in the background and the training part in the window;
- the longest the window went without handling events while PyTorch loaded (what a click then waits);
each as best and median, against baselines launched the same way in the same run, interleaved with the app's
starts: `python -c "import torch"`, `python -c "import PySide6.QtWidgets"`, and the same window built with
PyTorch imported first, as the app started before it loaded PyTorch in the background ("torch first").
Run: nice .venv/bin/python bench/startup_bench.py [--runs 5] [--platform offscreen|xcb]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_S = 1.5
# The window as the app opens it, but with the training part (and PyTorch) built in before it shows.
TORCH_FIRST = """
import sys
from PySide6.QtWidgets import QApplication
from builder.core.document import Document
from builder.core.templates import EXAMPLE, load_template
from builder.ui import theme
from builder.ui.main_window import MainWindow
from builder.ui.startup_report import report_startup
app = QApplication(sys.argv[:1])
theme.apply(app)
window = MainWindow(Document(load_template(EXAMPLE)))
report_startup(window, "1")
window.show()
sys.exit(app.exec())
"""


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.time()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.time() - start


def figures(command: list[str], env: dict[str, str]) -> tuple[float, list[dict]]:
    """Launch, and read the JSON lines the app prints (BUILDER_REPORT_FIRST_PAINT)."""
    start = time.time()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        sys.exit(f"startup_bench: {command[-1][:40]!r} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    return start, [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def app_start(env: dict[str, str]) -> dict[str, float]:
    """One start of the app: its figures, timed from just before the launch."""
    start, (paint, loaded) = figures([sys.executable, "-m", "builder"],
                                     {**env, "BUILDER_REPORT_FIRST_PAINT": "torch"})
    assert not paint["torch_imported"], "PyTorch was imported before the first paint"
    return {"first paint": paint["clock"] - start, "first paint (own clock)": paint["first_paint_s"],
            "torch loaded": loaded["clock"] - start, "longest stall": loaded["longest_stall_ms"] / 1000}


def torch_first(env: dict[str, str]) -> float:
    start, (paint,) = figures([sys.executable, "-c", TORCH_FIRST], env)
    return paint["clock"] - start


def show(name: str, values: list[float], baseline: float | None = None, unit: str = "s") -> None:
    scale = 1000 if unit == "ms" else 1
    line = f"{name:26}: best {min(values) * scale:7.3f} {unit}  median {statistics.median(values) * scale:7.3f} {unit}"
    if baseline:
        line += f"  ratio to import torch (best) {min(values) / baseline:5.2f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", default="offscreen", help="Qt platform plugin (xcb needs DISPLAY)")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="startup-bench-")  # a new user's: no settings, no recovery files
    env = {**os.environ, "QT_QPA_PLATFORM": args.platform, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config",
           "XDG_STATE_HOME": f"{home}/.local/state", "XDG_DATA_HOME": f"{home}/.local/share"}
    app_start(env)  # warm the file cache: every run below starts from the same state
    torch_times, qt_times, firsts, starts = [], [], [], []
    for _ in range(args.runs):  # interleaved: a busy moment slows the baselines and the app alike
        torch_times.append(timed([sys.executable, "-c", "import torch"], env))
        qt_times.append(timed([sys.executable, "-c", "import PySide6.QtWidgets"], env))
        firsts.append(torch_first(env))
        starts.append(app_start(env))
    print(f"builder start, {args.runs} runs, QT_QPA_PLATFORM={args.platform}")
    show("python -c 'import torch'", torch_times)
    show("python -c 'import PySide6…'", qt_times)
    base = min(torch_times)
    show("first paint, torch first", firsts, base)
    for name in ("first paint", "first paint (own clock)", "torch loaded"):
        show(name, [s[name] for s in starts], base)
    show("longest stall (loading)", [s["longest stall"] for s in starts], unit="ms")
    best = min(s["first paint"] for s in starts)
    print(f"first paint, background vs torch first (best): {best / min(firsts):.2f}")
    print(f"first paint target < {TARGET_S} s: {'met' if best < TARGET_S else 'NOT met'} (best {best:.2f} s)")


if __name__ == "__main__":
    main()
