"""File → Import PyTorch Code…: the dialog, the import in a process of its own, its result opened with its
weights, a refusal shown with its file and line, and a file that hangs stopped without taking the window."""

from pathlib import Path

import pytest

from builder.ui import import_ui
from builder.ui.import_ui import ImportChoice, ImportDialog, first_layer_shape, parse_shapes

REFERENCES = Path(__file__).parent.parent / "importer" / "references"


def import_through_the_menu(qtbot, window, source: Path, choose) -> None:
    window.dialogs.files = [str(source)]
    window.dialogs.answers["import_choice"] = choose
    window.importer.action.trigger()
    qtbot.waitUntil(lambda: window.importer.process is None, timeout=120_000)


def test_an_imported_network_opens_with_its_modules_and_weights(qtbot, make_window, tmp_path):
    window = make_window()
    out = tmp_path / "resnet.json"
    offered = []

    def choose(source, classes):
        offered.extend(classes)
        return ImportChoice(source, "ResNet", [[3, 32, 32]], out)

    import_through_the_menu(qtbot, window, REFERENCES / "torchvision_resnet.py", choose)
    assert window.dialogs.errors == []
    assert offered == ["BasicBlock", "ResNet"]  # found by reading the file, not running it
    project = window.document.project
    assert window.document.path == out.resolve() and project.models[0].name == "ResNet"
    assert {"BasicBlock", "BasicBlock2"} <= set(window.palette.model_items)
    assert window.session.report.ok
    trained = window.training.controller.trained
    assert trained is not None and "layer1.0.conv1.weight" in trained.state
    assert window.importer.action.isEnabled()


def test_a_refusal_is_shown_with_its_file_and_line_and_the_work_stays(qtbot, make_window, tmp_path):
    window = make_window()
    source = tmp_path / "spectral.py"
    source.write_text("import torch\nimport torch.nn as nn\n\n\nclass Spectral(nn.Module):\n"
                      "    def forward(self, x):\n        return torch.fft.fft2(x).real\n")
    before = window.document.to_json()
    import_through_the_menu(qtbot, window, source,
                            lambda s, c: ImportChoice(s, "Spectral", [[3, 8, 8]], tmp_path / "out.json"))
    [(title, text)] = window.dialogs.errors
    assert title == "Cannot import" and f"torch.fft.fft2 at {source}:7 has no block" in text
    assert window.document.to_json() == before and not (tmp_path / "out.json").exists()


def test_a_file_that_hangs_is_stopped_and_the_window_goes_on(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setattr(import_ui, "TIME_LIMIT_S", 4)
    window = make_window()
    source = tmp_path / "stuck.py"
    source.write_text("import torch.nn as nn\n\n\nclass Stuck(nn.Module):\n    def __init__(self):\n"
                      "        super().__init__()\n        while True:\n            pass\n")
    import_through_the_menu(qtbot, window, source,
                            lambda s, c: ImportChoice(s, "Stuck", [[3]], tmp_path / "out.json"))
    [(title, text)] = window.dialogs.errors
    assert title == "Import stopped" and "did not finish in 4 s" in text
    assert window.importer.action.isEnabled() and window.isVisible()


def test_the_dialog_lists_the_classes_guesses_the_shape_and_says_the_code_will_run(qtbot, window):
    source = REFERENCES / "torchvision_resnet.py"
    dialog = ImportDialog(window, source, ["BasicBlock", "ResNet"])
    qtbot.addWidget(dialog)
    assert dialog.classes.currentText() == "ResNet" and dialog.shape.text() == "3 32 32"  # from nn.Conv2d(3, ...)
    assert dialog.out.text() == str(source.with_suffix(".json"))
    assert any("runs this file's Python code" in label.text() for label in dialog.findChildren(import_ui.QLabel))
    dialog.shape.setText("3 x 32")
    assert dialog.choice() is None and "whole numbers" in dialog.problem.text()
    dialog.shape.setText("3 32 32")
    dialog.out.setText(str(Path("/no/such/folder/p.json")))
    assert dialog.choice() is None and "folder that exists" in dialog.problem.text()


@pytest.mark.parametrize(("text", "shapes"), [("3 32 32", [[3, 32, 32]]), ("3×32×32", [[3, 32, 32]]),
                                              ("8 16 16; 4 32 32", [[8, 16, 16], [4, 32, 32]]),
                                              ("", None), ("3 0", None), ("a b", None)])
def test_shapes_are_read_as_people_write_them(text, shapes):
    assert parse_shapes(text) == shapes


def test_the_shape_is_guessed_from_the_first_layer_without_running_the_file():
    assert first_layer_shape(REFERENCES / "tutorial_lenet.py", "Net") == "1 28 28"
    assert first_layer_shape(REFERENCES / "generator.py", "Generator") == "32"  # nn.Linear(latent, ...), latent=32
    assert first_layer_shape(REFERENCES / "unet.py", "UNet") == ""  # DoubleConv first: it cannot tell
