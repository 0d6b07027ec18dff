"""Modules inside modules at ResNet-50 size: 16 uses of Bottleneck and DownBottleneck, each made of ConvBN uses.

Prints, each with its target and a ratio against a baseline run in this same process:
- check + shape inference of the hierarchical network (target < 50 ms), against the check of the same
  network with every use ungrouped into one flat graph (177 blocks);
- codegen + building the module, against constructing a hand-written torchvision-style ResNet-50;
- open + paint in a new main window (offscreen), against the bare check;
- an edit of ConvBN's definition (used 53 times, in all 16 blocks) until the labels show it (target < 100 ms):
  made inside it, entered through `layer1.0 › conv2`, then undone and redone at the top level, where every
  use's label (shape and parameter count) must change.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/modules_bench.py
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

import torch.nn as nn  # noqa: E402
from big_graphs import RESNET50_STAGES, resnet50  # noqa: E402
from core_bench import best_of  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from builder.blocks.check import check_model  # noqa: E402
from builder.compile import build_classes, generate_code  # noqa: E402
from builder.core.document import Document  # noqa: E402
from builder.edit.editor import Editor  # noqa: E402
from builder.edit.recovery import Autosaver  # noqa: E402
from builder.edit.session import Session  # noqa: E402
from builder.ui import theme  # noqa: E402
from builder.ui.main_window import MainWindow  # noqa: E402


def flattened(project):
    """The same network with every use ungrouped, down to plain blocks: one flat graph."""
    editor = Editor(Session(Document(project)))
    models = {m.name for m in project.models}
    while uses := [n.id for n in editor.graph.nodes if n.type in models]:
        editor.ungroup(uses[0])
    return editor.graph


class ConvBN(nn.Sequential):
    def __init__(self, cin, cout, kernel=1, stride=1, padding=0):
        super().__init__(nn.Conv2d(cin, cout, kernel, stride, padding, bias=False), nn.BatchNorm2d(cout))


class Bottleneck(nn.Module):
    def __init__(self, cin, width, cout, stride=1):
        super().__init__()
        self.conv1, self.relu1 = ConvBN(cin, width), nn.ReLU()
        self.conv2, self.relu2 = ConvBN(width, width, 3, stride, 1), nn.ReLU()
        self.conv3, self.relu3 = ConvBN(width, cout), nn.ReLU()
        self.downsample = ConvBN(cin, cout, stride=stride) if stride != 1 or cin != cout else None


def hand_written_resnet50() -> nn.Module:
    """The baseline: the same layers constructed directly, as torchvision's resnet50 does."""
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for count, width, cout, stride in RESNET50_STAGES:
        layers.append(nn.Sequential(*(Bottleneck(cin if i == 0 else cout, width, cout, stride if i == 0 else 1)
                                      for i in range(count))))
        cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000))


def settle(app: QApplication, window: MainWindow) -> None:
    window.view.viewport().repaint()
    app.processEvents()


def use_labels(window: MainWindow) -> dict[str, tuple]:
    return {node_id: (item.info.shape, item.info.params) for node_id, item in window.scene.nodes.items()
            if item.module is not None}


def main() -> None:
    project = resnet50()
    top = project.models[0]
    report = check_model(top, project)
    assert report.ok, report.errors[:3]
    flat = flattened(resnet50())
    flat_report = check_model(flat)
    assert flat_report.ok and flat_report.total_params == report.total_params, flat_report.errors[:3]
    uses = [n.id for n in top.nodes if n.type in {m.name for m in project.models}]
    print(f"ResNet-50 of modules: {len(uses)} uses of Bottleneck/DownBottleneck, "
          f"{sum(len(m.nodes) for m in project.models)} nodes in 4 models, {report.total_params:,} parameters; "
          f"ungrouped: {len(flat.nodes)} blocks")

    check_best, check_median = best_of(lambda: check_model(top, project), 9)
    flat_best, _ = best_of(lambda: check_model(flat), 9)
    print(f"check + shape inference: {check_best * 1e3:7.1f} ms (median {check_median * 1e3:.1f})  target < 50 ms   "
          f"ratio to checking the ungrouped graph: {check_best / flat_best:.2f} ({flat_best * 1e3:.1f} ms)")

    built = build_classes(generate_code(project))["ResNet50"]()
    by_hand = hand_written_resnet50()
    assert sum(p.numel() for p in built.parameters()) == sum(p.numel() for p in by_hand.parameters())
    build_best, build_median = best_of(lambda: build_classes(generate_code(project))["ResNet50"](), 5)
    direct_best, _ = best_of(hand_written_resnet50, 5)
    codegen_best, _ = best_of(lambda: generate_code(project), 5)
    print(f"codegen + build module : {build_best * 1e3:7.1f} ms (median {build_median * 1e3:.1f})  "
          f"ratio to building a hand-written ResNet-50: {build_best / direct_best:.2f} "
          f"(codegen with its check: {codegen_best * 1e3:.1f} ms)")

    app = QApplication(sys.argv[:1])
    theme.apply(app)
    folder = Path(tempfile.mkdtemp())
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    opens = []
    for _ in range(3):
        start = time.perf_counter()
        window = MainWindow(Document(resnet50()), settings=settings, autosaver=Autosaver(folder / "recovery"))
        window.resize(1440, 900)
        window.show()
        window.view.frame()
        settle(app, window)
        opens.append(time.perf_counter() - start)
        if len(opens) < 3:
            window.close()
            window.deleteLater()
            app.processEvents()
    print(f"open + paint (window)  : {min(opens) * 1e3:7.1f} ms (median {statistics.median(opens) * 1e3:.1f})  "
          f"ratio to the bare check: {min(opens) / check_best:.1f}")

    session, editor = window.session, window.editor
    session.enter("layer1.0")
    session.enter("conv2")
    assert session.model == "ConvBN"
    inside = []
    for bias in [True, False] * 5:
        start = time.perf_counter()
        editor.set_param("conv", "bias", bias)
        settle(app, window)
        inside.append(time.perf_counter() - start)
        assert window.scene.nodes["conv"].info.params == 64 * 64 * 9 + (64 if bias else 0)
    editor.set_param("conv", "bias", True)  # the edit undone and redone below
    session.leave(2)
    settle(app, window)
    with_bias = use_labels(window)
    at_top = []
    for step in [window.act_undo, window.act_redo] * 5:
        before = use_labels(window)
        start = time.perf_counter()
        step.trigger()
        settle(app, window)
        at_top.append(time.perf_counter() - start)
        after = use_labels(window)
        assert all(after[u] != before[u] for u in uses), "a use's label did not change"
    assert use_labels(window) == with_bias
    print(f"edit inside ConvBN -> its labels, the network rechecked: {min(inside) * 1e3:6.1f} ms "
          f"(median {statistics.median(inside) * 1e3:.1f})  target < 100 ms  "
          f"ratio to the bare check: {min(inside) / check_best:.1f}")
    print(f"undo/redo at the top -> all {len(uses)} use labels: {min(at_top) * 1e3:6.1f} ms "
          f"(median {statistics.median(at_top) * 1e3:.1f})  target < 100 ms  "
          f"ratio to the bare check: {min(at_top) / check_best:.1f}")
    window.document.undo_stack.set_clean()
    window.close()


if __name__ == "__main__":
    main()
