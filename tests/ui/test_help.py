"""The Help menu of the real window: the block reference, the shortcuts, a block's PyTorch page, About."""

import pytest
import torch
from graphs import chain, model
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QTextBrowser

from builder import __version__
from builder.blocks.check import check_model
from builder.blocks.registry import BLOCKS
from builder.ui.dialogs import Dialogs
from builder.ui.help import torch_name

DOCS = "https://pytorch.org/docs/stable/generated/"


@pytest.fixture
def shown(window):
    """What the Help actions would show: (title, html) per dialog."""
    texts = []
    window.dialogs.rich_text = lambda title, html, size=None: texts.append((title, html))
    return texts


@pytest.fixture
def opened(monkeypatch):
    urls = []
    monkeypatch.setattr("builder.ui.help.QDesktopServices.openUrl", lambda url: urls.append(url.toString()) or True)
    return urls


def test_help_is_the_last_menu(window):
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles[-1] == "&Help" and "&Training" in titles


def test_the_shortcuts_list_is_read_from_the_windows_actions(window, shown):
    undo = QKeySequence(QKeySequence.StandardKey.Undo).toString(QKeySequence.SequenceFormat.NativeText)
    window.help.shortcuts_action.trigger()
    (title, html), = shown
    assert title == "Keyboard Shortcuts"
    assert f"<td>Edit</td><td>Undo</td><td><b>{undo}</b></td>" in html  # Ctrl+Z on Linux and Windows
    assert "<td>Training</td><td>■  Stop</td><td><b>Ctrl+.</b></td>" in html  # another part's menu
    added = QAction("Something New", window)  # a shortcut added later is listed without touching help.py
    added.setShortcut(QKeySequence("Ctrl+Alt+K"))
    window.addAction(added)
    window.help.shortcuts_action.trigger()
    assert "<td>Something New</td><td><b>Ctrl+Alt+K</b></td>" in shown[-1][1]


def test_the_docs_action_opens_the_selected_blocks_pytorch_page(window, opened):
    window.help.update_docs_action()
    assert not window.help.docs_action.isEnabled()  # nothing selected
    window.select_node("conv1")
    window.help.menu.aboutToShow.emit()
    assert window.help.docs_action.isEnabled() and "Conv2d" in window.help.docs_action.text()
    window.help.docs_action.trigger()
    assert opened == [DOCS + "torch.nn.Conv2d.html"]
    assert window.statusBar().currentMessage() == f"opened {DOCS}torch.nn.Conv2d.html"
    window.select_node("image")  # the Input calls nothing of torch's: no page, and the status bar says so
    window.help.open_block_docs()
    assert opened == [DOCS + "torch.nn.Conv2d.html"] and "no PyTorch class" in window.statusBar().currentMessage()


def test_a_block_with_problems_still_finds_its_page(window, opened):
    window.editor.set_param("fc", "in_features", 3)  # the wire gives 784
    assert "fc" not in window.session.report.infos
    window.select_node("fc")
    window.help.docs_action.trigger()
    assert opened == [DOCS + "torch.nn.Linear.html"]


def test_the_reference_names_every_block_type(window, shown):
    window.help.reference_action.trigger()
    (title, html), = shown
    assert title == "Block Reference"
    for spec in BLOCKS:
        assert f"<b>{spec.type}</b>: {spec.description}" in html.replace("&#x27;", "'").replace("&quot;", '"')
        for param in spec.params:
            assert f"<td>{param.name}</td>" in html


def test_the_reference_dialog_is_readable_text(qtbot, window):
    window.dialogs = Dialogs(window)  # the real one, this time
    window.help.reference_action.trigger()
    dialog = next(w for w in window.findChildren(QTextBrowser) if w.window().windowTitle() == "Block Reference")
    qtbot.waitExposed(dialog.window())
    text = dialog.toPlainText()
    assert all(spec.type in text for spec in BLOCKS) and dialog.verticalScrollBar().maximum() > 0
    dialog.window().close()


def test_about_gives_the_versions(window, shown):
    window.help.about_action.trigger()
    (title, html), = shown
    assert title == "About NN Builder"
    assert f"NN Builder {__version__}" in html and torch.__version__ in html and qVersion() in html


def _checked(spec):
    """The block with its starter parameters, checked after an input it takes, for its resolved parameters."""
    if spec.max_inputs is None or spec.max_inputs > 1:  # a merge: the same tensor on two ports
        graph = model("M", [("x", "Input", {"shape": [4, 8, 8]}), ("b", spec.type, dict(spec.starter)),
                            ("out", "Output")], [("x", "b", 0), ("x", "b", 1), ("b", "out")])
        return check_model(graph)
    for shape in ([4, 8, 8], [8]):
        report = check_model(chain("M", shape, [("b", spec.type, dict(spec.starter))]))
        if report.ok:
            return report
    raise AssertionError(f"{spec.type}: no input fits")


@pytest.mark.parametrize("spec", [s for s in BLOCKS if not (s.is_input or s.is_output)], ids=lambda s: s.type)
def test_every_blocks_docs_page_names_something_torch_has(spec):
    name = torch_name(spec, _checked(spec).infos["b"].resolved)
    assert name is not None and name.startswith("torch.")
    target = torch
    for part in name.split(".")[1:]:
        target = getattr(target, part)  # AttributeError: a page that does not exist
    expected = {"DepthwiseConv2d": "torch.nn.Conv2d", "GroupConv2d": "torch.nn.Conv2d", "Add": "torch.add",
                "Concat": "torch.cat", "Interpolate": "torch.nn.functional.interpolate", "Mul": "torch.mul",
                "Reshape": "torch.Tensor.reshape", "Permute": "torch.Tensor.permute", "Mean": "torch.Tensor.mean",
                "Slice": "torch.Tensor.narrow", "StochasticDepth": "torch.mul"}
    assert name == expected.get(spec.type, f"torch.nn.{spec.type}")
