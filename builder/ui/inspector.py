"""The inspector: the selected block's name and parameters, with editors from its declaration.

Inferred values (in_channels...) are shown as inferred; an invalid value is refused at the
editor with the reason, and nothing reaches the document.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from builder.blocks.check import ModelReport
from builder.blocks.modules import param_of
from builder.blocks.params import Param
from builder.blocks.registry import BLOCKS
from builder.core.graph import ref_name
from builder.core.i18n import tr, trn
from builder.core.shapes import format_shape
from builder.edit.editor import EditError, Editor
from builder.edit.module_edits import LINKABLE
from builder.edit.session import Session
from builder.train.memory import format_bytes, node_bytes
from builder.ui import theme
from builder.ui.icons import block_icon
from builder.ui.module_page import module_page
from builder.ui.param_editors import OptionalEditor, ParamEditor
from builder.ui.param_form import ParamForm


class Inspector(QScrollArea):
    renamed = Signal(str)  # a block got a new name: select it again
    open_requested = Signal(str)  # a use's Open Definition button: enter it

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
            self._show_message(trn("{count} block selected", "{count} blocks selected", len(node_ids),
                                   count=len(node_ids)), tr("Select one block to edit its parameters."))
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
            self._show_message(tr("No model"), "")
            return
        if self._is_module():
            self.node_id = self._type = None
            self.editors, self.name_field = {}, None
            self.setWidget(module_page(self.session, self.editor, report))
            return
        state = tr("ready to train") if report.ok else tr("{count} problem(s) to fix", count=len(report.errors))
        self._show_message(tr("Model {name}", name=report.model.name),
                           tr("{params} parameters · {macs} MACs · {state}", params=f"{report.total_params:,}",
                              macs=f"{report.total_macs:,}", state=state) + "\n\n"
                           + tr("Select a block to edit it. Drag blocks from the palette, or press Tab on the canvas."))

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

    def _is_module(self) -> bool:
        """The model shown is used by another, or entered through a use: its blocks can take module params."""
        name = self.session.model
        graph = self.session.document.model(name)
        used = any(n.type == name for m in self.session.document.project.models for n in m.nodes)
        return bool(self.session.trail or used or graph.params)

    def _used_model(self, type_name: str):
        return next((m for m in self.session.document.project.models if m.name == type_name), None)

    def _params_of(self, type_name: str) -> tuple[Param, ...]:
        spec = BLOCKS.get(type_name)
        if spec is not None:
            return spec.params
        used = self._used_model(type_name)
        return tuple(param_of(p) for p in used.params) if used is not None else ()

    def _build(self, type_name: str) -> None:
        spec = BLOCKS.get(type_name)
        used = self._used_model(type_name) if spec is None else None
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
        text = tr(spec.description) if spec is not None else None
        if used is not None:
            text = tr("A use of {model}, a model of this project: its blocks run here with the values below and the "
                      "shapes its inputs bring. Editing {model} changes every use of it.", model=used.name)
        if text:
            description = QLabel(text)
            description.setWordWrap(True)
            description.setProperty("role", "hint")
            layout.addWidget(description)
        if used is not None:
            button = QPushButton(tr("Open {model}", model=used.name))
            button.setToolTip(tr("Edit its definition (double-click the use on the canvas; Esc comes back)"))
            button.clicked.connect(lambda: self.open_requested.emit(self.node_id))
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        linkable = frozenset(LINKABLE) if self._is_module() else frozenset()
        self.form = ParamForm(self._params_of(type_name), linkable=linkable)
        self.form.link_clicked.connect(self._offer_links)
        self.name_field = QLineEdit()
        self.name_field.editingFinished.connect(self._rename)
        self.form.add_row(tr("name"), self.name_field, tr("The block's name: its attribute and variable name in the "
                                                      "generated code"))
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
        if self.form.params != self._params_of(node.type):  # the module's declared params changed
            self.form.set_params(self._params_of(node.type))
        linked = {k: ref_name(v) for k, v in node.params.items() if ref_name(v) is not None}
        shown = {k: (info.resolved.get(k) if info is not None else None) if k in linked else v
                 for k, v in node.params.items()}
        self.form.set_values({k: v for k, v in shown.items() if v is not None})
        self.form.set_linked(linked)
        for param in spec.params if spec else ():
            editor = self.editors[param.name]
            if param.inferred and isinstance(editor, OptionalEditor):  # what the wire gives, seen and kept
                resolved = info.resolved.get(param.name) if info else None
                editor.set_placeholder(tr("from the wire: {value}", value=resolved) if resolved is not None
                                       else tr("from the wire"))
                editor.seed(resolved)
        self._show_result(info, report.problems_of(self.node_id) if report else [])

    def _show_result(self, info: Any, problems: list) -> None:
        lines = []
        if info is not None:
            shape = f"<b style='color:{theme.OK.name()}'>{format_shape(info.shape)}</b>"
            lines.append(tr("output {shape} · {params} parameters · {macs} MACs", shape=shape,
                            params=f"{info.params:,}", macs=f"{info.macs:,}"))
            kept = self._kept_bytes()
            if kept is not None:
                lines.append(f"<span style='color:{theme.DIM.name()}'>{kept}</span>")
        for problem in problems:
            color = theme.WARNING if problem.warning else theme.ERROR
            lines.append(f"<span style='color:{color.name()}'>{'⚠' if problem.warning else '✖'} "
                         f"{problem.message}</span>")
        self.result.setText("<br>".join(lines))

    def _kept_bytes(self) -> str | None:
        """What training keeps of this node's output for backward, at the batch size set (see train/memory.py)."""
        # 64: data.batch_size's declared default (builder/train/config.py, which this layer need not load for it)
        report, batch = self.session.report, self.session.document.project.data.get("batch_size", 64)
        if report is None or not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            return None
        kept = node_bytes(report, self.node_id, batch)
        if kept == 0:
            return tr("keeps no memory for backward (batch {batch})", batch=f"{batch:,}")
        return tr("{size} kept for backward at batch {batch}", size=format_bytes(kept), batch=f"{batch:,}")

    # -- edits ----------------------------------------------------------------------------------

    def _set(self, name: str, value: Any) -> None:
        try:
            self.editor.set_param(self.node_id, name, value)
        except EditError as exc:
            self.error.setText(f"{name}: {exc}")
            self.refresh()  # put the editor back to the document's value
            return
        self.error.setText("")

    def _offer_links(self, param: Param, button: QWidget) -> None:
        """The module parameters this value can come from, and a new one made from it."""
        graph = self.session.document.model(self.session.model)
        node = graph.node(self.node_id)
        current = ref_name(node.params.get(param.name))
        menu = QMenu(self)
        heading = menu.addAction(tr("{param} of {node} comes from…", param=param.name, node=self.node_id))
        heading.setEnabled(False)
        for declared in graph.params:
            if declared.kind != LINKABLE.get(param.kind):
                continue
            action = menu.addAction(tr("{model}'s parameter {param} (default {default})", model=graph.name,
                                       param=declared.name, default=declared.default))
            action.setCheckable(True)
            action.setChecked(declared.name == current)
            action.triggered.connect(lambda _c=False, n=declared.name: self._edit(
                lambda: self.editor.modules.link(self.node_id, param.name, n)))
        menu.addSeparator()
        own = menu.addAction(tr("its own value (set here)"))
        own.setCheckable(True)
        own.setChecked(current is None)
        own.triggered.connect(lambda: self._edit(lambda: self.editor.modules.link(self.node_id, param.name, None)))
        make = menu.addAction(tr("New parameter of {model} from this value…", model=graph.name))
        make.setEnabled(current is None)
        make.triggered.connect(lambda: self._declare(param))
        self._last_menu = menu
        menu.popup(button.mapToGlobal(QPoint(0, button.height())))

    def _declare(self, param: Param) -> None:
        from PySide6.QtWidgets import QInputDialog

        graph = self.session.document.model(self.session.model)
        suggested = "planes" if param.name == "out_channels" else param.name
        name, ok = QInputDialog.getText(self, tr("New module parameter"),
                                        tr("Name of {model}'s parameter (an __init__ argument in the code):",
                                           model=graph.name), text=suggested)
        if ok:
            self._edit(lambda: self.editor.modules.declare(self.node_id, param.name, name))

    def _edit(self, action) -> None:
        try:
            action()
        except EditError as exc:
            self.error.setText(str(exc))
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
            self.error.setText(tr("name: {problem}", problem=exc))
            self.name_field.setText(self.node_id)
            return
        # The rename replaced the node (and this page with it): ask for the new one to be selected.
        self.renamed.emit(new)
