"""Modules in the window: Group into Module (Ctrl+G) and Ungroup (Ctrl+Shift+G), Open Definition and Back, the
breadcrumb over the canvas (`ResNet18 › BasicBlock (layer1.0)`, each part a way back), and the palette's Models
list kept in step with the project. The edits themselves are the Editor's (builder/edit/module_edits.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from builder.core.document import MODEL_ADDED, MODEL_PARAMS_CHANGED, MODEL_REMOVED, MODEL_RENAMED, Change
from builder.core.i18n import tr, trn

if TYPE_CHECKING:
    from builder.ui.main_window import MainWindow


class Breadcrumb(QWidget):
    """Where the canvas is: the tab's model, then each module entered. Shown only inside a module."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window = window
        self.setObjectName("breadcrumb")
        self.setStyleSheet("#breadcrumb { background: #2b2620; border-bottom: 1px solid #4a3a2c; }"
                           "QPushButton { border: none; padding: 3px 6px; color: #e3e5e8; }"
                           "QPushButton:hover { text-decoration: underline; }")
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(8, 2, 8, 2)
        self.row.setSpacing(0)
        self.parts: list[QPushButton] = []
        self.hide()

    def refresh(self) -> None:
        while self.row.count():
            widget = self.row.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        session = self.window.session
        crumbs = session.breadcrumb()
        self.parts = []
        for depth, text in enumerate(crumbs):
            if depth:
                arrow = QLabel("›")
                arrow.setStyleSheet("color: #9aa0a8; padding: 0 2px;")
                self.row.addWidget(arrow)
            button = QPushButton(text)
            last = depth == len(crumbs) - 1
            button.setEnabled(not last)
            if last:
                button.setStyleSheet("font-weight: bold; color: #ffffff;")
            button.setToolTip("" if last else tr("Back to this level (Esc goes back one)"))
            levels_up = len(crumbs) - 1 - depth
            button.clicked.connect(lambda _checked=False, up=levels_up: self.window.view.leave(up))
            self.row.addWidget(button)
            self.parts.append(button)
        if session.standalone and session.trail:
            note = QLabel("  " + tr("shapes from the module's own Inputs: the use could not be checked through"))
            note.setStyleSheet("color: #f0b44c;")
            self.row.addWidget(note)
        self.row.addStretch(1)
        self.setVisible(bool(session.trail))


class ModulesUI(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.breadcrumb = Breadcrumb(window)
        window.central_layout.insertWidget(window.central_layout.indexOf(window.view), self.breadcrumb)
        self.act_group = window._action(tr("&Group into Module…"), self.group, "Ctrl+G",
                                        tr("The selected blocks become a module of their own, used where they were"))
        self.act_ungroup = window._action(tr("&Ungroup"), self.ungroup, "Ctrl+Shift+G",
                                          tr("Put the selected use's blocks back inline"))
        self.act_open = window._action(tr("&Open Definition"), self.open_definition, None,
                                       tr("Edit the module the selected use uses (double-click a use)"))
        self.act_back = window._action(tr("&Back to the Enclosing Model"), lambda: window.view.leave(), None,
                                       tr("Out of the module shown (Esc on the canvas)"))
        window.edit_actions += [self.act_group, self.act_ungroup]
        menu = window.menu("model")
        menu.addSeparator()
        menu.addActions([self.act_group, self.act_ungroup, self.act_open, self.act_back])
        window.session.model_switched.connect(lambda _name: self.refresh())
        window.session.checked.connect(lambda _report: self.breadcrumb.refresh())
        window.document.changed.connect(self._on_change)
        window.document.reset.connect(self.refresh)
        window.scene.selectionChanged.connect(self._enable)
        self.refresh()

    def refresh(self) -> None:
        self.breadcrumb.refresh()
        self._fill_palette()
        self._enable()

    def _on_change(self, change: Change) -> None:
        if change.kind in (MODEL_ADDED, MODEL_REMOVED, MODEL_RENAMED, MODEL_PARAMS_CHANGED):
            self._fill_palette()

    def _fill_palette(self) -> None:
        session = self.window.session
        edits = self.window.editor.modules
        models = [m for m in self.window.document.project.models  # not those that would contain themselves
                  if m.name != session.model and edits.use_refusal(m.name, session.model) is None]
        described = []
        for model in models:
            inputs = sum(n.type == "Input" for n in model.nodes)
            params = ", ".join(p.name for p in model.params)
            count = len(model.nodes) - inputs - sum(n.type == "Output" for n in model.nodes)
            text = (trn("{count} block; params: {params}", "{count} blocks; params: {params}", count, count=count,
                        params=params) if params else
                    trn("{count} block", "{count} blocks", count, count=count))
            described.append((model.name, text))
        self.window.palette.set_models(described)

    def _selected_use(self) -> str | None:
        ids = self.window.scene.selected_node_ids()
        if len(ids) != 1:
            return None
        item = self.window.scene.nodes.get(ids[0])
        return ids[0] if item is not None and item.module is not None else None

    def _enable(self) -> None:
        if not hasattr(self.window, "scene") or not shiboken6.isValid(self.window.scene):
            return  # before the scene is made, or while the window is torn down and the scene empties itself
        use = self._selected_use()
        editable = not self.window.session.read_only
        self.act_group.setEnabled(editable and bool(self.window.scene.selected_node_ids()))
        self.act_ungroup.setEnabled(editable and use is not None)
        self.act_open.setEnabled(use is not None)
        self.act_back.setEnabled(bool(self.window.session.trail))

    def group(self) -> None:
        window = self.window
        ids = window.scene.selected_node_ids()
        if not ids:
            window.status(tr("select the blocks to group into a module (drag a box around them)"))
            return
        name = window.dialogs.text(tr("Group into Module"), tr("Module name (its class name in the code):"),
                                   window.editor.free_model_name())
        if name is not None:
            window._run(lambda: window.scene.select_nodes([window.editor.group(ids, name)]))

    def ungroup(self) -> None:
        use = self._selected_use()
        if use is None:
            self.window.status(tr("select one use of a module to ungroup"))
            return
        self.window._run(lambda: self.window.scene.select_nodes(self.window.editor.ungroup(use)))

    def open_definition(self) -> None:
        use = self._selected_use()
        if use is not None:
            self.window.view.enter(use)


def install_modules_ui(window: MainWindow) -> ModulesUI:
    return ModulesUI(window)

