"""Parameter editors built from Param declarations: spin boxes with ranges, pair editors, choices,
check boxes, text, lists of names, and paths with a file or folder picker. Each reports a finished
edit with `edited(value)`; validation is the caller's. `ParamForm` (param_form.py) lays them out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from builder.blocks.params import (
    BOOL,
    CHOICE,
    FILE,
    FLOAT,
    FLOAT_PAIR,
    FOLDER,
    INT,
    INT_LIST,
    INT_PAIR,
    SHAPE,
    TEXT,
    TEXT_LIST,
    Param,
)
from builder.core.i18n import tr

INT_LIMIT = 1_000_000_000


class ParamEditor(QWidget):
    edited = Signal(object)  # the new value as stored in a project file (None: not set)

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = param
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(4)
        self.setToolTip(tr(param.help))
        self._setting = False

    def set_value(self, value: Any) -> None:
        self._setting = True
        try:
            self._show(value)
        finally:
            self._setting = False

    def _emit(self, value: Any) -> None:
        if not self._setting:
            self.edited.emit(value)

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def set_placeholder(self, text: str) -> None:
        """What an unset optional shows (an inferred value, say)."""


class SpinBox(QSpinBox):
    """Takes the wheel only once clicked into: a wheel passing over a form scrolls the form instead of changing
    the values it passes (Qt's spin box changes on the wheel, and takes focus from it, by default)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt's name)
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # to the scroll area around the form


class ComboBox(QComboBox):
    """A combo box that, like SpinBox, takes the wheel only once clicked into."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt's name)
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


def _spin(param: Param) -> QSpinBox:
    spin = SpinBox()
    spin.editingFinished.connect(lambda: spin.lineEdit().setModified(False))  # committed: see undo_keys.py
    spin.setRange(int(param.min) if param.min is not None else -INT_LIMIT,
                  int(param.max) if param.max is not None else INT_LIMIT)
    spin.setKeyboardTracking(False)  # one edit when the number is typed, not one per digit
    spin.setAccelerated(True)
    return spin


class IntEditor(ParamEditor):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.spin = _spin(param)
        self.layout_.addWidget(self.spin)
        self.spin.valueChanged.connect(lambda v: self._emit(int(v)))

    def _show(self, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.spin.setValue(value)


class TextEditor(ParamEditor):
    """Floats, shapes and text, typed; the caller validates and refuses with a reason."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.field = QLineEdit()
        self.layout_.addWidget(self.field)
        self.field.editingFinished.connect(self._finished)
        if param.kind == SHAPE:
            self.field.setPlaceholderText(tr("channels, height, width  or  features"))
        elif param.kind == INT_LIST:
            self.field.setPlaceholderText(tr("whole numbers, e.g. 2, 3"))

    def _finished(self) -> None:
        self.field.setModified(False)  # committed: Ctrl+Z now undoes the document's step (undo_keys.py)
        text = self.field.text().strip()
        self._emit(parse_text(self.param, text))

    def _show(self, value: Any) -> None:
        if value is None:
            self.field.clear()
        elif self.param.kind in (SHAPE, TEXT_LIST, INT_LIST) and isinstance(value, (list, tuple)):
            self.field.setText(", ".join(str(v) for v in value))
        elif isinstance(value, float):
            self.field.setText(f"{value:g}")
        else:
            self.field.setText(str(value))

    def set_placeholder(self, text: str) -> None:
        self.field.setPlaceholderText(text)


def parse_text(param: Param, text: str) -> Any:
    """Turn typed text into a value for validation; what cannot be parsed is returned as text,
    so the declaration's own message explains what is expected."""
    if text == "":
        return None
    if param.kind == SHAPE:
        try:
            return [int(part) for part in text.replace("×", ",").replace("x", ",").split(",") if part.strip()]
        except ValueError:
            return text
    if param.kind == INT_LIST:
        parts = text.strip("[]()").replace("×", ",").replace("x", ",").replace(" ", ",").split(",")
        try:
            numbers = [int(part) for part in parts if part.strip()]
        except ValueError:
            return text
        return numbers[0] if param.scalar and len(numbers) == 1 and not text.startswith("[") else numbers
    if param.kind == FLOAT:
        try:
            return float(text)
        except ValueError:
            return text
    if param.kind == TEXT_LIST:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


class PathEditor(TextEditor):
    """A file or folder, typed or picked; a pick inside the project's folder is kept relative to it, so the
    project can move with its data."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.folder = Path.cwd()  # the project's folder: set by the form's owner
        self.browse = QToolButton()
        self.browse.setText("…")
        self.browse.setToolTip(tr("Choose the folder") if param.kind == FOLDER else tr("Choose the file"))
        self.browse.clicked.connect(self.choose)
        self.layout_.addWidget(self.browse)

    def choose(self) -> None:
        if self.param.kind == FOLDER:
            chosen = QFileDialog.getExistingDirectory(self, tr("Choose {name}", name=self.param.name), str(self.folder))
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, tr("Choose {name}", name=self.param.name), str(self.folder))
        if chosen:
            self.field.setText(relative_to(Path(chosen), self.folder))
            self._finished()


def relative_to(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(path)


class BoolEditor(ParamEditor):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.box = QCheckBox()
        self.layout_.addWidget(self.box)
        self.layout_.addStretch()
        self.box.toggled.connect(self._emit)

    def _show(self, value: Any) -> None:
        self.box.setChecked(bool(value))


def choice_text(value: Any) -> str:
    """A choice as the menu shows it: the value, with its meaning first where the language has one for it
    ("分类 (classification)"); PyTorch's own values (padding modes, Adam) have none and show as they are."""
    text = str(value)
    meaning = tr(text) if isinstance(value, str) else text
    return text if meaning == text else f"{meaning} ({text})"


class ChoiceEditor(ParamEditor):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.combo = ComboBox()
        self.combo.addItems([choice_text(c) for c in param.choices])
        self.layout_.addWidget(self.combo)
        self.combo.currentIndexChanged.connect(lambda i: self._emit(param.choices[i]))

    def _show(self, value: Any) -> None:
        if value in self.param.choices:
            self.combo.setCurrentIndex(list(self.param.choices).index(value))


class TriStateEditor(ParamEditor):
    """An optional true/false: one menu with three states, not set (naming what that means), true, false."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.combo = ComboBox()
        self.combo.addItem(tr("not set: {meaning}", meaning=tr(param.unset) if param.unset else tr("the default")),
                           None)
        self.combo.addItem("true", True)  # values as a project file and the code write them: not translated
        self.combo.addItem("false", False)
        self.layout_.addWidget(self.combo)
        self.combo.currentIndexChanged.connect(lambda _i: self._emit(self.combo.currentData()))

    def _show(self, value: Any) -> None:
        self.combo.setCurrentIndex(max(self.combo.findData(value), 0) if value is not None else 0)


class PairEditor(ParamEditor):
    """Height and width, linked by default: one number for a square window, two when unlinked."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.floats = param.kind == FLOAT_PAIR
        self.parts = [self._part() for _ in range(2)]
        self.link = QToolButton()
        self.link.setText("=")
        self.link.setCheckable(True)
        self.link.setChecked(not param.pair_only)
        self.link.setToolTip(tr("Same value for both (a square window); unlink to set them apart"))
        self.layout_.addWidget(self.parts[0])
        self.layout_.addWidget(QLabel("×"))
        self.layout_.addWidget(self.parts[1])
        self.layout_.addWidget(self.link)
        self.layout_.addStretch()
        self.link.setVisible(not param.pair_only)
        self.link.toggled.connect(self._on_link)
        self._on_link(self.link.isChecked())

    def _part(self) -> QWidget:
        if self.floats:
            field = QLineEdit()
            field.setMaximumWidth(70)
            field.editingFinished.connect(lambda: field.setModified(False))  # committed: see undo_keys.py
            field.editingFinished.connect(self._changed)
            return field
        spin = _spin(self.param)
        spin.setMaximumWidth(70)
        spin.valueChanged.connect(lambda _v: self._changed())
        return spin

    def _read(self, part: QWidget) -> Any:
        if self.floats:
            try:
                return float(part.text())
            except ValueError:
                return part.text()
        return int(part.value())

    def _write(self, part: QWidget, value: Any) -> None:
        if self.floats:
            part.setText(f"{value:g}" if isinstance(value, (int, float)) else str(value))
        else:
            part.setValue(int(value))

    def _on_link(self, linked: bool) -> None:
        self.parts[1].setEnabled(not linked)
        if linked and not self._setting:
            self._write(self.parts[1], self._read(self.parts[0]))
            self._changed()

    def _changed(self) -> None:
        first = self._read(self.parts[0])
        if self.link.isChecked():
            self._setting, was = True, self._setting
            self._write(self.parts[1], first)
            self._setting = was
            self._emit(first)
        else:
            self._emit([first, self._read(self.parts[1])])

    def _show(self, value: Any) -> None:
        pair = list(value) if isinstance(value, (list, tuple)) else [value, value]
        if pair[0] is None:
            return
        self.link.setChecked(pair[0] == pair[1] and not self.param.pair_only)
        self._write(self.parts[0], pair[0])
        self._write(self.parts[1], pair[1])
        self.parts[1].setEnabled(not self.link.isChecked())


def make_editor(param: Param, parent: QWidget | None = None) -> ParamEditor:
    kinds = {INT: IntEditor, BOOL: BoolEditor, CHOICE: ChoiceEditor, INT_PAIR: PairEditor, FLOAT_PAIR: PairEditor,
             FLOAT: TextEditor, SHAPE: TextEditor, TEXT: TextEditor, TEXT_LIST: TextEditor, INT_LIST: TextEditor,
             FILE: PathEditor, FOLDER: PathEditor}
    return kinds[param.kind](param, parent)


class OptionalEditor(ParamEditor):
    """An optional parameter: a check box sets it; unchecked, it is left to its default or the wire."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.enabled = QCheckBox()
        self.enabled.setToolTip(tr("Set it here; unchecked, it comes from the wire") if param.inferred
                                else tr("Set it here; unchecked, it is left unset"))
        self.inner = make_editor(param)
        self.hint = QLabel()
        self.hint.setProperty("role", "hint")
        self.layout_.addWidget(self.enabled)
        self.layout_.addWidget(self.inner, 1)
        self.layout_.addWidget(self.hint, 1)
        self.enabled.toggled.connect(self._toggled)
        self.inner.edited.connect(lambda v: self._emit(v) if self.enabled.isChecked() else None)

    def _toggled(self, on: bool) -> None:
        self.inner.setVisible(on)
        self.hint.setVisible(not on)
        if not self._setting:
            self._emit(self._current() if on else None)

    def _current(self) -> Any:
        inner = self.inner
        if isinstance(inner, IntEditor):
            return int(inner.spin.value())
        if isinstance(inner, PairEditor):
            first = inner._read(inner.parts[0])
            return first if inner.link.isChecked() else [first, inner._read(inner.parts[1])]
        if isinstance(inner, BoolEditor):
            return inner.box.isChecked()
        if isinstance(inner, ChoiceEditor):
            return self.param.choices[inner.combo.currentIndex()]
        return parse_text(self.param, inner.field.text().strip()) if isinstance(inner, TextEditor) else None

    def _show(self, value: Any) -> None:
        self.enabled.setChecked(value is not None)
        self.inner.set_value(value)
        self.inner.setVisible(value is not None)
        self.hint.setVisible(value is None)

    def set_placeholder(self, text: str) -> None:
        self.hint.setText(text)
        self.inner.set_placeholder(text)

    def seed(self, value: Any) -> None:
        """The value shown when the box gets checked: the inferred one, so nothing jumps."""
        if value is not None:
            self.inner.set_value(value)
