"""Render the main window offscreen and save a PNG: `python scripts/screenshot.py OUT.png [PROJECT] [--select ID]
[--enter USE]`.

Used to keep the README's screenshots current and to look at UI changes on a machine with no display.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def settle(app, seconds: float = 0.3) -> None:
    """Let layouts and deferred re-layouts (docks, tab bars) finish before the picture is taken."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("project", nargs="?")
    parser.add_argument("--select", help="a node id to select (shows it in the inspector)")
    parser.add_argument("--enter", action="append", default=[], metavar="USE",
                        help="open the definition of this use of a module, as a double-click does (repeat to go deeper)")
    parser.add_argument("--size", default="1440x900")
    parser.add_argument("--scale", default="1", help="QT_SCALE_FACTOR, e.g. 2 for a 200% screen")
    parser.add_argument("--train-epochs", type=int, default=0,
                        help="start training and take the picture after this many epochs, mid-run")
    parser.add_argument("--until-done", action="store_true", help="with --train-epochs: wait for the run to end")
    parser.add_argument("--tab", default=None,
                        help="a bottom page to show: Plots, Results, Samples, Health, Inside, Try It or Runs")
    parser.add_argument("--try-image", metavar="IMAGE", help="an image for Try It (after training)")
    parser.add_argument("--cam", action="store_true", help="Try It: show Grad-CAM")
    parser.add_argument("--lang", default="en", help="the window's language: en or zh_CN")
    parser.add_argument("--side", default=None, help="a side page to show: Training or Inspector")
    args = parser.parse_args()
    os.environ["QT_SCALE_FACTOR"] = args.scale
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from builder.core.document import Document
    from builder.core.project import load_project
    from builder.core.templates import EXAMPLE, load_template
    from builder.edit.recovery import Autosaver
    from builder.ui import theme
    from builder.ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    theme.apply(app)
    from builder.ui.language import apply_language

    apply_language(app, args.lang)
    project = load_project(args.project) if args.project else load_template(EXAMPLE)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(project), settings=settings, autosaver=Autosaver(Path(tempfile.mkdtemp())))
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.show()
    settle(app)
    window.code.update_code()
    for use in args.enter:
        window.view.enter(use)
        settle(app)
    if args.select:
        window.scene.select_nodes([args.select])
    window.view.frame()
    settle(app)
    if args.train_epochs:

        ui = window.training
        epochs = []
        ui.controller.epoch_ended.connect(epochs.append)
        ui.train_action.trigger()
        deadline = time.monotonic() + 300
        while (len(epochs) < args.train_epochs or (args.until_done and ui.controller.running)) \
                and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        if args.tab:
            pages = {"Plots": ui.plots, "Results": ui.results, "Samples": ui.generated, "Health": ui.health,
                     "Inside": ui.inside.panel, "Try It": ui.trying.panel, "Runs": ui.runs}
            window.show_page(pages[args.tab])
        if args.try_image:
            ui.trying.panel.cam.setChecked(args.cam)
            ui.trying.try_file(args.try_image)
        deadline = time.monotonic() + 60
        while (ui.inside.jobs.job is not None or ui.trying.jobs.job is not None) and time.monotonic() < deadline:
            app.processEvents()  # what the Inside and Try It pages compute in the background
            time.sleep(0.01)
        settle(app, 0.5)
    if args.side:
        window.show_page({"Training": window.training.panel, "Inspector": window.inspector}[args.side])
        for _ in range(20):  # let the plots' timer redraw
            app.processEvents()
            time.sleep(0.01)
        window.training.plots.redraw()
    window.grab().save(args.out)
    print(f"wrote {args.out}")
    if args.train_epochs:
        window.training.controller.stop_and_wait()
        window.document.undo_stack.set_clean()
    window.training.shut_down()  # join the background data check before the interpreter goes


if __name__ == "__main__":
    main()
