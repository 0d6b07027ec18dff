"""Import speed: `builder import` of a torchvision-style ResNet-50 (3×224×224) and opening the result.

Prints the time of the whole import (running the file, tracing, naming the modules, generating the code and
checking it computes what the original does), target under 3 s, as a ratio against one forward pass of the
same network on one sample in this same process (the import runs two: the original's and the generated
code's); then the time to open the imported project in a new window and paint it, target under 1 s.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/import_bench.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402
from core_bench import best_of  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from builder.core.document import Document  # noqa: E402
from builder.edit.recovery import Autosaver  # noqa: E402
from builder.importer.network import import_network  # noqa: E402
from builder.importer.source import load_module  # noqa: E402
from builder.ui import theme  # noqa: E402
from builder.ui.main_window import MainWindow  # noqa: E402

SOURCE = HERE / "torchvision_style_resnet50.py"
SHAPE = [3, 224, 224]


def main() -> None:
    network = load_module(SOURCE, "ResNet50", {}).module.eval()
    sample = torch.randn(1, *SHAPE)
    with torch.no_grad():
        network(sample)  # warm-up
        forward_best, _ = best_of(lambda: network(sample), repeats=3)
    import_network(SOURCE, "ResNet50", [SHAPE])  # warm-up: torch.fx and the fake tensors' first use
    results = []
    times = []
    for _ in range(3):
        start = time.perf_counter()
        results.append(import_network(SOURCE, "ResNet50", [SHAPE]))
        times.append(time.perf_counter() - start)
    imported = results[-1]
    project = imported.project
    print(f"ResNet-50 imported: {len(project.models)} models ({', '.join(m.name for m in project.models)}), "
          f"{sum(p.numel() for p in network.parameters()):,} parameters, largest output difference "
          f"{imported.max_difference:.1e}")
    print(f"import                  : {min(times):6.2f} s (median {statistics.median(times):.2f})  target < 3 s  "
          f"ratio to one forward pass ({forward_best * 1e3:.0f} ms): {min(times) / forward_best:.1f}")

    app = QApplication(sys.argv[:1])
    theme.apply(app)
    folder = Path(tempfile.mkdtemp())
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    opens = []
    for _ in range(3):
        start = time.perf_counter()
        window = MainWindow(Document(project), settings=settings, autosaver=Autosaver(folder / "recovery"))
        window.resize(1440, 900)
        window.show()
        window.view.frame()
        window.view.viewport().repaint()
        app.processEvents()
        opens.append(time.perf_counter() - start)
        window.document.undo_stack.set_clean()
        window.close()
        window.deleteLater()
        app.processEvents()
    print(f"open + paint (window)   : {min(opens):6.2f} s (median {statistics.median(opens):.2f})  target < 1 s")


if __name__ == "__main__":
    main()
