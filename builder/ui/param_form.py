"""A form of parameter editors built from Param declarations: one row per Param, its label carrying the help.

Every place that edits declared values uses it: the inspector (a block's params), and the training
panel (the data source's keys, the data and training settings, the optimizer's and the schedule's
options, the GAN's). It only shows values and reports edits; the owner turns an edit into a command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QToolButton, QWidget

from builder.blocks.params import BOOL, FILE, FLOAT, FOLDER, INT_LIST, REQUIRED, SHAPE, TEXT, TEXT_LIST, Param
from builder.core.i18n import tr
from builder.ui.param_editors import OptionalEditor, ParamEditor, PathEditor, TriStateEditor, make_editor

# Typed in a text field, where an empty field means "not set": no separate "set it" check box needed.
TYPED_KINDS = (FLOAT, SHAPE, TEXT, TEXT_LIST, INT_LIST, FILE, FOLDER)


class ParamForm(QWidget):
    edited = Signal(object, object)  # (Param, the new value; None: not set)
    link_clicked = Signal(object, object)  # (Param, the button): the owner offers module parameters for it

    def __init__(self, params: tuple[Param, ...] = (), indent: str = "", parent: QWidget | None = None,
                 linkable: frozenset[str] = frozenset()) -> None:
        super().__init__(parent)
        self.linkable = linkable  # kinds of param that get a button to link them to a module parameter
        self.labels: dict[str, QLabel] = {}
        self.link_buttons: dict[str, QToolButton] = {}
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.indent = indent  # before each label: options nested under a choice read as its own
        self.params: tuple[Param, ...] = ()
        self.editors: dict[str, ParamEditor] = {}
        self.extra_rows = 0  # rows the owner added before the params (a name field, a model menu)
        self.set_params(params)

    def add_row(self, label: str, widget: QWidget, tip: str = "") -> None:
        """A row of the owner's above the params (the block's name, a menu of models)."""
        title = QLabel(label)
        title.setToolTip(tip)
        self.form.insertRow(self.extra_rows, title, widget)
        self.extra_rows += 1

    def set_params(self, params: tuple[Param, ...]) -> None:
        """Build the rows for these params (nothing happens when they are the ones shown)."""
        params = tuple(params)
        if params == self.params:
            return
        while self.form.rowCount() > self.extra_rows:
            self.form.removeRow(self.extra_rows)
        self.params, self.editors, self.labels, self.link_buttons = params, {}, {}, {}
        for param in params:
            editor = _editor_for(param)
            editor.edited.connect(lambda value, p=param: self.edited.emit(p, value))
            label = QLabel(f"{self.indent}{param.name}")
            label.setToolTip(tr(param.help))
            self.form.addRow(label, self._with_link(param, editor))
            self.editors[param.name] = editor
            self.labels[param.name] = label

    def _with_link(self, param: Param, editor: ParamEditor) -> QWidget:
        if param.kind not in self.linkable or param.inferred:
            return editor
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        button = QToolButton()
        button.setText("⋯")
        button.setToolTip(tr("Give this value from a module parameter, so each use of the module sets it"))
        button.clicked.connect(lambda _checked=False, p=param, b=button: self.link_clicked.emit(p, b))
        layout.addWidget(editor, 1)
        layout.addWidget(button)
        self.link_buttons[param.name] = button
        return row

    def set_linked(self, linked: dict[str, str]) -> None:
        """Params whose value is a module parameter's (`{"ref": "planes"}`): shown, not edited here; the label
        names the parameter."""
        for param in self.params:
            ref = linked.get(param.name)
            self.editors[param.name].setEnabled(ref is None)
            self.labels[param.name].setText(f"{self.indent}{param.name}" + (f" = {ref}" if ref else ""))
            self.labels[param.name].setProperty("role", "linked" if ref else "")

    def set_values(self, values: dict[str, Any], folder: Path | None = None) -> None:
        """Show the values (a missing key: its default, shown as a hint when the param is optional); a field
        being typed in is left alone. `folder`: where path pickers start and what paths are relative to."""
        for param in self.params:
            editor = self.editors[param.name]
            if folder is not None and isinstance(editor, PathEditor):
                editor.folder = folder
            given = values.get(param.name)
            if param.optional or param.kind in TYPED_KINDS:
                editor.set_placeholder(_hint(param))
            if not editor.hasFocus():
                shown = given if given is not None or param.optional else _default(param)
                editor.set_value(list(shown) if isinstance(shown, tuple) else shown)


def _editor_for(param: Param) -> ParamEditor:
    if param.optional and param.kind == BOOL:
        return TriStateEditor(param)  # one control: not set / true / false
    if param.optional and param.kind not in TYPED_KINDS:
        return OptionalEditor(param)  # a check box sets it; unchecked, the hint says what happens
    return make_editor(param)  # typed fields: empty means not set


def _default(param: Param) -> Any:
    return None if param.default is REQUIRED else param.default


def _hint(param: Param) -> str:
    if param.unset:
        return tr(param.unset)
    default = _default(param)
    if default is None:
        return tr("required") if param.required else tr("not set")
    return tr("default: {value}", value=default)
