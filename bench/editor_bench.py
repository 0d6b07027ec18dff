"""Editor speed on a generated 500-node graph, offscreen.

Prints (1) the time to open the project in a new main window and lay it out (auto-layout, then
painted), target under 1 s; (2) the time from a parameter edit that changes every shape to the
shape labels of all nodes updated and painted, target under 100 ms. Each is also given as a ratio
to the bare check of the same graph run in this process (the least such an update must do).
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/editor_bench.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

from big_graphs import residual_net  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from builder.blocks.check import check_model  # noqa: E402
from builder.core.document import Document  # noqa: E402
from builder.core.project import Project  # noqa: E402
from builder.edit.recovery import Autosaver  # noqa: E402
from builder.ui import theme  # noqa: E402
from builder.ui.main_window import MainWindow  # noqa: E402

NODES = 500


def settle(app: QApplication, window: MainWindow) -> None:
    window.view.viewport().repaint()
    app.processEvents()


def main() -> None:
    app = QApplication(sys.argv[:1])
    theme.apply(app)
    folder = Path(tempfile.mkdtemp())
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    graph = residual_net(NODES)
    check_times = []
    for _ in range(5):
        start = time.perf_counter()
        check_model(graph)
        check_times.append(time.perf_counter() - start)
    check = min(check_times)

    opens = []
    for _ in range(3):
        start = time.perf_counter()
        window = MainWindow(Document(Project(models=[residual_net(NODES)])), settings=settings,
                            autosaver=Autosaver(folder / "recovery"))
        window.resize(1440, 900)
        window.show()
        window.editor.auto_layout()
        window.view.frame()
        settle(app, window)
        opens.append(time.perf_counter() - start)
        if len(opens) < 3:
            window.document.undo_stack.set_clean()
            window.close()
            window.deleteLater()
            app.processEvents()

    edits = []
    sizes = [10, 8] * 5
    for size in sizes:
        start = time.perf_counter()
        window.editor.set_param("x", "shape", [8, size, size])
        settle(app, window)
        edits.append(time.perf_counter() - start)
        fc = window.scene.nodes["fc"].info
        assert window.scene.nodes["b0_conv1"].info.shape == (8, size, size) and fc is not None
    assert len(window.scene.nodes) == NODES

    best_open, best_edit = min(opens), min(edits)
    print(f"graph: {NODES} nodes, {len(graph.edges)} wires; bare check {check * 1e3:.1f} ms")
    print(f"open + auto-layout + paint: {best_open * 1e3:7.1f} ms (median {statistics.median(opens) * 1e3:.1f})  "
          f"target < 1000 ms  ratio to the bare check: {best_open / check:.1f}")
    print(f"edit -> all shape labels : {best_edit * 1e3:7.1f} ms (median {statistics.median(edits) * 1e3:.1f})  "
          f"target < 100 ms   ratio to the bare check: {best_edit / check:.1f}")
    window.document.undo_stack.set_clean()
    window.close()


if __name__ == "__main__":
    main()
