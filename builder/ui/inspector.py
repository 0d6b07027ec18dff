"""The inspector: the selected block's name and parameters, with editors from its declaration.

Inferred values (in_channels...) are shown as inferred; an invalid value is refused at the
editor with the reason, and nothing reaches the document.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from builder.blocks.check import ModelReport
from builder.blocks.registry import BLOCKS
from builder.core.shapes import format_shape
from builder.edit.editor import EditError, Editor
from builder.edit.session import Session
from builder.ui import theme
from builder.ui.icons import block_icon
from builder.ui.param_editors import OptionalEditor, ParamEditor
from builder.ui.param_form import ParamForm


class Inspector(QScrollArea):
    renamed = Signal(str)  # a block got a new name: select it again

    def __init__(self, session: Session, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.editor = session, editor
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.node_id: str | None = None
        self._type: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.name_field: QLineEdit | None = None
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self._show_nothing()
        session.checked.connect(lambda _report: self.refresh())

    # -- what is shown --------------------------------------------------------------------------

    def show_nodes(self, node_ids: list[str]) -> None:
        if len(node_ids) == 1:
            self.show_node(node_ids[0])
        elif node_ids:
            self._show_message(f"{len(node_ids)} blocks selected", "Select one block to edit its parameters.")
        else:
            self._show_nothing()

    def show_node(self, node_id: str) -> None:
        graph = self.session.document.model(self.session.model)
        if node_id not in graph.node_ids():
            self._show_nothing()
            return
        node = graph.node(node_id)
        if node_id == self.node_id and node.type == self._type:
            self.refresh()
            return
        self.node_id, self._type = node_id, node.type
        self._build(node.type)
        self.refresh()

    def _show_nothing(self) -> None:
        report = self.session.report
        if report is None:
            self._show_message("No model", "")
            return
        state = "ready to train" if report.ok else f"{len(report.errors)} problem(s) to fix"
        self._show_message(f"Model {report.model.name}",
                           f"{report.total_params:,} parameters · {report.total_macs:,} MACs · {state}\n\n"
                           "Select a block to edit it. Drag blocks from the palette, or press Tab on the canvas.")

    def _show_message(self, title: str, text: str) -> None:
        self.node_id = self._type = None
        self.editors = {}
        self.name_field = None
        page = QWidget()
        layout = QVBoxLayout(page)
        heading = QLabel(title)
        heading.setProperty("role", "heading")
        body = QLabel(text)
        body.setWordWrap(True)
        body.setProperty("role", "hint")
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addStretch()
        self.setWidget(page)

    def _build(self, type_name: str) -> None:
        spec = BLOCKS.get(type_name)
        page = QWidget()
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(block_icon(type_name).pixmap(28, 28))
        heading = QLabel(type_name)
        heading.setProperty("role", "heading")
        top.addWidget(icon)
        top.addWidget(heading, 1)
        layout.addLayout(top)
        if spec is not None:
            description = QLabel(spec.description)
            description.setWordWrap(True)
            description.setProperty("role", "hint")
            layout.addWidget(description)
        self.form = ParamForm(spec.params if spec else ())
        self.name_field = QLineEdit()
        self.name_field.editingFinished.connect(self._rename)
        self.form.add_row("name", self.name_field, "The block's name: its attribute and variable name in the "
                                                   "generated code")
        self.form.edited.connect(lambda param, value: self._set(param.name, value))
        self.editors = self.form.editors
        layout.addWidget(self.form)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.result)
        layout.addStretch()
        self.setWidget(page)

    def refresh(self) -> None:
        """Show the document's values and the latest check for the selected block."""
        if self.node_id is None:
            self._show_nothing()
            return
        graph = self.session.document.model(self.session.model)
        if self.node_id not in graph.node_ids():
            self._show_nothing()
            return
        node = graph.node(self.node_id)
        report: ModelReport | None = self.session.report
        info = report.infos.get(self.node_id) if report else None
        spec = BLOCKS.get(node.type)
        if self.name_field is not None and not self.name_field.hasFocus():
            self.name_field.setText(node.id)
        self.form.set_values(node.params)
        for param in spec.params if spec else ():
            editor = self.editors[param.name]
            if param.inferred and isinstance(editor, OptionalEditor):  # what the wire gives, seen and kept
                resolved = info.resolved.get(param.name) if info else None
                editor.set_placeholder(f"from the wire: {resolved}" if resolved is not None else "from the wire")
                editor.seed(resolved)
        self._show_result(info, report.problems_of(self.node_id) if report else [])

    def _show_result(self, info: Any, problems: list) -> None:
        lines = []
        if info is not None:
            lines.append(f"output <b style='color:{theme.OK.name()}'>{format_shape(info.shape)}</b> · "
                         f"{info.params:,} parameters · {info.macs:,} MACs")
        for problem in problems:
            color = theme.WARNING if problem.warning else theme.ERROR
            lines.append(f"<span style='color:{color.name()}'>{'⚠' if problem.warning else '✖'} "
                         f"{problem.message}</span>")
        self.result.setText("<br>".join(lines))

    # -- edits ----------------------------------------------------------------------------------

    def _set(self, name: str, value: Any) -> None:
        try:
            self.editor.set_param(self.node_id, name, value)
        except EditError as exc:
            self.error.setText(f"{name}: {exc}")
            self.refresh()  # put the editor back to the document's value
            return
        self.error.setText("")

    def _rename(self) -> None:
        if self.name_field is None or self.node_id is None:
            return
        self.name_field.setModified(False)  # committed: Ctrl+Z now undoes the document's step (undo_keys.py)
        new = self.name_field.text().strip()
        if new == self.node_id:
            return
        try:
            self.editor.rename(self.node_id, new)
        except EditError as exc:
            self.error.setText(f"name: {exc}")
            self.name_field.setText(self.node_id)
            return
        # The rename replaced the node (and this page with it): ask for the new one to be selected.
        self.renamed.emit(new)
