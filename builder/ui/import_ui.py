"""File → Import PyTorch Code…: a user's nn.Module as a project, imported in a separate process.

The file is the user's own code and runs: the window says so before it runs it. The import is `builder import`
in a process of its own, with a time limit, so a file that hangs, crashes or exhausts memory cannot take the
window (or the work in it) along. Its refusal, with the file and line, is shown in a dialog; its result opens
as the project, with the imported weights loaded.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QProcess, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from builder.core.i18n import N_, language, tr
from builder.importer.source import ImportRefusal, module_classes

if TYPE_CHECKING:
    from builder.ui.main_window import MainWindow

# Texts declared here are marked with N_ and shown with tr().
PYTHON_FILES = N_("Python files (*.py);;All files (*)")
WEIGHTS_FILES = N_("Weights (*.pt *.pth *.bin *.ckpt *.safetensors);;All files (*)")
COMMAND_PREFIX = re.compile(r"^builder import(: |：)")  # its messages' start, in English or in Chinese
TIME_LIMIT_S = 300  # a ResNet-50 imports in a few seconds; a file still running after this is stuck
RUNS_NOTE = N_("Importing runs this file's Python code (it builds and traces your model). Import only files you "
               "trust, as you would run them yourself.")


@dataclass(frozen=True)
class ImportChoice:
    source: Path
    class_name: str
    input_shapes: list[list[int]]
    out: Path
    weights: Path | None = None


def first_layer_shape(path: Path, class_name: str) -> str:
    """A guess at one sample's shape from the first layer the class's constructor makes, when it is a Conv2d or
    a Linear whose input size is a number (`nn.Conv2d(3, ...)` → "3 32 32", or a constructor argument's
    default), read without running the file; "" when it cannot tell."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return ""
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None)
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None) if cls else None
    if init is None:
        return ""
    defaults = dict(zip([a.arg for a in init.args.args][-len(init.args.defaults):] if init.args.defaults else [],
                        init.args.defaults))
    layer = next((s.value for s in init.body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Call)
                  and any(isinstance(t, ast.Attribute) for t in s.targets)), None)
    if layer is None or _called(layer) not in ("Conv2d", "Linear") or not layer.args:
        return ""
    size = layer.args[0]
    if isinstance(size, ast.Name) and size.id in defaults:
        size = defaults[size.id]
    value = size.value if isinstance(size, ast.Constant) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        return ""
    if _called(layer) == "Linear":
        return str(value)
    return f"{value} 28 28" if value == 1 else f"{value} 32 32"  # MNIST-like for one channel, CIFAR-like else


def _called(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def parse_shapes(text: str) -> list[list[int]] | None:
    """"3 32 32" → [[3, 32, 32]]; several inputs separated by ";": "8 16 16; 4 32 32"."""
    shapes = []
    for part in text.split(";"):
        try:
            shape = [int(v) for v in part.replace(",", " ").replace("×", " ").split()]
        except ValueError:
            return None
        if not shape or any(v < 1 for v in shape):
            return None
        shapes.append(shape)
    return shapes


class ImportDialog(QDialog):
    """The class to import, one sample's shape, the weights to load and where the project goes."""

    def __init__(self, parent: QWidget, source: Path, classes: list[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Import PyTorch Code"))
        self.source = source
        self.classes = QComboBox()
        self.classes.addItems(classes)
        self.classes.setCurrentIndex(len(classes) - 1)  # the network is usually defined last, after its parts
        self.shape = QLineEdit()
        self.shape.setPlaceholderText(tr("e.g. 3 32 32 (channels, height, width); several inputs: 8 16 16; 4 32 32"))
        self.weights = QLineEdit()
        self.weights.setPlaceholderText(tr("optional: a .pt, .pth or .safetensors file to load"))
        self.out = QLineEdit(str(source.with_suffix(".json")))
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #ff8080;")
        note = QLabel(tr(RUNS_NOTE))
        note.setWordWrap(True)
        note.setStyleSheet("color: #f0b44c;")
        form = QFormLayout()
        form.addRow(tr("File"), QLabel(str(source)))
        form.addRow(tr("Class"), self.classes)
        form.addRow(tr("Input shape"), self.shape)
        form.addRow(tr("Weights"), self._with_browse(self.weights, self._pick_weights))
        form.addRow(tr("Project file"), self._with_browse(self.out, self._pick_out))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Import"))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.classes.currentTextChanged.connect(self._guess_shape)
        self._guess_shape(self.classes.currentText())
        self.resize(640, self.sizeHint().height())

    def _with_browse(self, field: QLineEdit, pick) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(field, 1)
        browse = QPushButton(tr("Browse…"))
        browse.clicked.connect(pick)
        layout.addWidget(browse)
        return row

    def _guess_shape(self, class_name: str) -> None:
        if not self.shape.isModified():
            self.shape.setText(first_layer_shape(self.source, class_name))

    def _pick_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Weights to load"), str(self.source.parent), tr(WEIGHTS_FILES))
        if path:
            self.weights.setText(path)

    def _pick_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Project file"), self.out.text(), tr("Projects (*.json)"))
        if path:
            self.out.setText(path if path.endswith(".json") else path + ".json")

    def choice(self) -> ImportChoice | None:
        """What was chosen, or None (with the reason shown) while something is missing or wrong."""
        shapes = parse_shapes(self.shape.text())
        weights = Path(self.weights.text().strip()) if self.weights.text().strip() else None
        out = Path(self.out.text().strip())
        problem = (tr("give one sample's shape as whole numbers, e.g. 3 32 32") if shapes is None
                   else tr("{path}: no such file", path=weights) if weights is not None and not weights.is_file()
                   else tr("the project file must end in .json, in a folder that exists")
                   if out.suffix != ".json" or not out.parent.is_dir() else "")
        self.problem.setText(problem)
        if problem:
            return None
        return ImportChoice(self.source, self.classes.currentText(), shapes, out, weights)

    def _accept(self) -> None:
        if self.choice() is not None:
            self.accept()


class ImportUI(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.process: QProcess | None = None
        self.action = window._action(tr("&Import PyTorch Code…"), self.start, None,
                                     tr("Open a model written in PyTorch (a class of a .py file) as a project"))
        self._limit = QTimer(self)
        self._limit.setSingleShot(True)
        self._limit.timeout.connect(self._stuck)
        self.choice: ImportChoice | None = None
        file = window.menu("file")
        file.insertAction(window.recent_menu.menuAction(), self.action)  # after Open…
        window.edit_actions.append(self.action)  # not while training: it would replace the project
        window.add_shut_down(self.shut_down)

    def start(self) -> None:
        window = self.window
        if self.process is not None or not window.maybe_save():
            return
        path = window.dialogs.open_file(tr("Import PyTorch code"), window._folder(), tr(PYTHON_FILES))
        if not path:
            return
        try:
            classes = module_classes(Path(path))
        except ImportRefusal as exc:
            window.dialogs.error(tr("Cannot import"), str(exc))
            return
        if not classes:
            window.dialogs.error(tr("Cannot import"), tr("{path} defines no nn.Module class", path=path))
            return
        choice = window.dialogs.import_choice(Path(path), classes)
        if choice is not None:
            self.run(choice)

    def run(self, choice: ImportChoice) -> None:
        """`builder import` in a process of its own; the window stays usable while it runs."""
        self.choice = choice
        args = ["-m", "builder", "import", f"{choice.source}:{choice.class_name}", "--out", str(choice.out), "--force"]
        for shape in choice.input_shapes:
            args += ["--input-shape", *map(str, shape)]
        if choice.weights is not None:
            args += ["--weights", str(choice.weights)]
        args += ["--lang", language()]  # its messages in the window's language, whatever the environment's
        self.process = QProcess(self)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed_to_start)
        self.action.setEnabled(False)
        self.window.status(tr("importing {name} from {file}…", name=choice.class_name, file=choice.source.name), 0)
        self._limit.start(TIME_LIMIT_S * 1000)
        self.process.start(sys.executable, args)

    def _output(self) -> str:
        out = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace")
        err = bytes(self.process.readAllStandardError()).decode("utf-8", "replace")
        return (out + err).strip()

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._limit.stop()
        output = self._output()
        choice = self.choice
        self._done()
        if status != QProcess.ExitStatus.NormalExit or code not in (0, 1, 2):
            self.window.dialogs.error(tr("Import failed"),
                                      tr("The import of {file} ended unexpectedly (exit code {code}): the file's "
                                         "code may have crashed Python.", file=choice.source.name, code=code),
                                      output[-4000:])
            return
        if code != 0:
            message = "\n".join(COMMAND_PREFIX.sub("", line) for line in output.splitlines()
                                if not line.startswith("usage:"))
            self.window.dialogs.error(tr("Cannot import"), message or tr("exit code {code}", code=code))
            return
        self._open(choice)

    def _open(self, choice: ImportChoice) -> None:
        window = self.window
        if not window.open_project(choice.out):
            return
        exports = window.training.exports
        model = window.document.project.models[0].name
        loaded = exports.load_file(choice.out.with_suffix(".safetensors"), model)
        names = {"model": model, "file": choice.source.name}
        if choice.weights is not None:
            text = (tr("imported {model} from {file} with the weights given", **names) if loaded else
                    tr("imported {model} from {file} with the weights given (the weights could not be loaded)",
                       **names))
        else:
            text = (tr("imported {model} from {file} with its freshly made weights", **names) if loaded else
                    tr("imported {model} from {file} with its freshly made weights (the weights could not be "
                       "loaded)", **names))
        window.status(text, 10000)

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._limit.stop()
            self._done()
            self.window.dialogs.error(tr("Import failed"), tr("Python could not be started for the import ({python})",
                                                              python=sys.executable))

    def _stuck(self) -> None:
        if self.process is None:
            return
        process, choice = self.process, self.choice
        process.finished.disconnect(self._finished)
        process.kill()
        process.waitForFinished(5000)
        self._done()
        self.window.dialogs.error(tr("Import stopped"),
                                  tr("The import of {file} did not finish in {seconds} s and was stopped: the file's "
                                     "code may be stuck in a loop, or the input shape too large to trace.",
                                     file=choice.source.name, seconds=TIME_LIMIT_S))

    def _done(self) -> None:
        if self.process is not None:
            self.process.deleteLater()
        self.process = None
        self.action.setEnabled(True)
        self.window.status("", 1)

    def shut_down(self) -> None:
        """The window is closing: an import still running is stopped (it would write a project nobody opens)."""
        if self.process is not None:
            self._limit.stop()
            self.process.finished.disconnect(self._finished)
            self.process.kill()
            self.process.waitForFinished(5000)
            self._done()


def install_import_ui(window: MainWindow) -> ImportUI:
    return ImportUI(window)
