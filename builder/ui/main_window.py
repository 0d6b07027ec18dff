"""The main window: canvas in the middle, palette left, inspector and code right, problems below."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QTabBar,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from builder.core.atomic import WriteError, atomic_write_text
from builder.core.document import MODEL_ADDED, MODEL_REMOVED, MODEL_RENAMED, Change, Document
from builder.core.i18n import N_, tr, trn
from builder.core.project import Project, ProjectError, load_project
from builder.core.templates import TEMPLATES, load_template
from builder.edit.editor import EditError, Editor
from builder.edit.projects import new_project
from builder.edit.recovery import Autosaver, Recovered, read_recovered
from builder.edit.session import Session
from builder.ui.canvas.scene import GraphScene
from builder.ui.canvas.view import GraphView
from builder.ui.code_panel import CodePanel
from builder.ui.dialogs import APP_NAME, DISCARD, SAVE, Dialogs
from builder.ui.help import install_help_menu
from builder.ui.inspector import Inspector
from builder.ui.language import install_language_menu
from builder.ui.modules_ui import install_modules_ui
from builder.ui.palette import Palette
from builder.ui.problems_panel import ProblemsPanel
from builder.ui.torch_loader import TorchLoader
from builder.ui.torch_waiting import WaitingTrainBar
from builder.ui.undo_keys import DocumentUndoKeys

if TYPE_CHECKING:  # both import torch: the window imports them when PyTorch is there
    from builder.ui.import_ui import ImportUI
    from builder.ui.training.ui import TrainingUI

MAX_RECENT = 8
FILTER = N_("NN Builder projects (*.json);;All files (*)")  # tr(FILTER) where shown


def recovery_folder() -> Path:
    """Where the OS keeps an app's state (~/.local/state/... on Linux, Application Support on macOS,
    AppData\\Local on Windows), as Qt knows it."""
    locations = QStandardPaths.StandardLocation
    location = getattr(locations, "StateLocation", locations.AppLocalDataLocation)  # StateLocation: Qt 6.7+
    return Path(QStandardPaths.writableLocation(location)) / "recovery"


class MainWindow(QMainWindow):
    first_painted = Signal()  # once, after the window's first frame is drawn

    def __init__(self, document: Document | None = None, settings: QSettings | None = None,
                 autosaver: Autosaver | None = None, autosave_ms: int = 60_000,
                 torch_loader: TorchLoader | None = None) -> None:
        """`torch_loader`: one in the background opens the window without PyTorch, which loads once the window
        has painted (the app's start); the training part, the code and the import of PyTorch code come in as it
        has loaded. Without one, they come in at once."""
        super().__init__()
        self.document = document or Document(new_project())
        self.settings = settings or QSettings("NN Builder", "NN Builder")
        self.autosaver = autosaver or Autosaver(recovery_folder())
        self.dialogs = Dialogs(self)
        self._undo_keys = DocumentUndoKeys(self)  # Ctrl+Z reaches the document from a committed field too
        self._undo_keys.install(QApplication.instance())
        self._close_guard: Callable[[], bool] | None = None
        self._shut_downs: list[Callable[[], None]] = []  # run as the window closes (joining threads)
        self._before_saves: list[Callable[[Path, Path | None], None]] = []  # (new path, old path): files beside it
        self._unsaved_notes: list[Callable[[], str]] = []  # what else a discarded save would lose, in words
        self._settings_page: QWidget | None = None  # where a setting's problem leads (the Training panel)
        self._ready: bool | None = None  # the project's readiness, from the training part (None: not known)
        self.restart_requested = False  # closed to start again (View → Language): the app opens the project anew
        self._painted = False
        self._menu_anchor: QAction | None = None  # the Help menu's, once it is there
        self.torch = torch_loader or TorchLoader()
        self.torch.setParent(self)
        self.training: TrainingUI | None = None  # with PyTorch: at once, or once loaded in the background
        self.importer: ImportUI | None = None
        self.session = Session(self.document)
        self.editor = Editor(self.session)
        self.scene = GraphScene(self.session)
        self.view = GraphView(self.scene, self.editor)
        self._build_central()
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self.totals = QLabel()
        self.statusBar().addPermanentWidget(self.totals)
        self.modules = install_modules_ui(self)
        install_language_menu(self)
        self.help = install_help_menu(self)
        self._menu_anchor = self.help.menu.menuAction()  # menus added from now on go before Help: it comes last
        self._waiting_bar = WaitingTrainBar(self, self.torch) if not self.torch.ready else None
        self.torch.when_loaded(self._add_torch_parts)
        QTimer.singleShot(0, self.arrange_docks)  # once shown: sizing docks before that leaves stray tab bars
        self.resize(1440, 900)

        self.document.dirty_changed.connect(self.setWindowModified)
        self.document.reset.connect(self._on_reset)
        self.document.changed.connect(self._on_change)
        self.document.undo_stack.changed.connect(self._update_undo_actions)
        self.session.checked.connect(self._show_totals)
        self.session.model_switched.connect(self._on_model_switched)
        self.scene.selectionChanged.connect(self._on_selection)
        self.view.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.problems.node_clicked.connect(self.select_node)
        self.problems.fix_requested.connect(self.apply_fix)
        self.problems.settings_clicked.connect(lambda: self.show_page(self._settings_page)
                                               if self._settings_page is not None else None)
        self.palette.activated.connect(self._add_at_center)
        self.inspector.renamed.connect(lambda node_id: self.scene.select_nodes([node_id]))
        self.inspector.open_requested.connect(self.view.enter)

        self._autosave = QTimer(self)
        self._autosave.setInterval(autosave_ms)
        self._autosave.timeout.connect(self.autosave)
        self._autosave.start()
        self._refresh_tabs()
        self._update_title()
        self._update_undo_actions()
        self.session.recheck()
        QTimer.singleShot(0, self.view.frame)

    # -- layout ---------------------------------------------------------------------------------

    def _build_central(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.banner = QLabel(tr("Training in progress: the graph is read-only. You can pan, zoom and read the code."))
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setStyleSheet("background: #5a4410; color: #ffe2a8; padding: 5px;")
        self.banner.hide()
        self.tabs = QTabBar()
        self.tabs.setExpanding(False)
        self.tabs.setDocumentMode(True)
        self.tabs.currentChanged.connect(self._on_tab)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs)
        layout.addWidget(self.view, 1)
        self.central_layout = layout  # the modules part puts its breadcrumb over the canvas
        self.setCentralWidget(central)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.palette = Palette()
        self.inspector = Inspector(self.session, self.editor)
        self.code = CodePanel(self.session, torch=self.torch)
        self.problems = ProblemsPanel(self.session)
        # Pages share a dock through a tab widget rather than tabified docks: a second tabified group
        # leaves a stray, visible tab bar in Qt 6.11.
        self.side_tabs = QTabWidget()
        self.side_tabs.setDocumentMode(True)
        self.side_tabs.addTab(self.inspector, tr("Inspector"))
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.setDocumentMode(True)
        self.bottom_tabs.addTab(self.problems, tr("Problems"))
        self.palette_dock = self._dock(tr("Blocks"), self.palette, Qt.DockWidgetArea.LeftDockWidgetArea, "palette")
        self.inspector_dock = self._dock(tr("Selection and settings"), self.side_tabs,
                                         Qt.DockWidgetArea.RightDockWidgetArea, "inspector")
        self.code_dock = self._dock(tr("Code"), self.code, Qt.DockWidgetArea.RightDockWidgetArea, "code")
        self.problems_dock = self._dock(tr("Problems and training"), self.bottom_tabs,
                                        Qt.DockWidgetArea.BottomDockWidgetArea, "problems")
        self.splitDockWidget(self.inspector_dock, self.code_dock, Qt.Orientation.Vertical)

    def _add_torch_parts(self) -> None:
        """Training and the import of PyTorch code, which need torch: at once, or as it has loaded."""
        from builder.ui.import_ui import install_import_ui
        from builder.ui.training.ui import TrainingUI

        self.training = TrainingUI(self)
        self.importer = install_import_ui(self)
        if self._waiting_bar is not None:  # the training toolbar takes the waiting one's place
            self._waiting_bar.remove()
            self._waiting_bar = None

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self._on_first_paint)  # after the whole first frame: its children too

    def _on_first_paint(self) -> None:
        self.first_painted.emit()
        self.torch.start()  # in the background, when the window opened without it

    def arrange_docks(self) -> None:
        """Default sizes, once every dock (the training ones too) is in place."""
        self.resizeDocks([self.palette_dock, self.inspector_dock], [230, 410], Qt.Orientation.Horizontal)
        self.resizeDocks([self.inspector_dock, self.code_dock], [470, 270], Qt.Orientation.Vertical)
        # Results readable at this size, and Try It's page fits: the same before and after the training pages come in
        # (in the background, after the first paint), so the canvas does not jump then.
        self.resizeDocks([self.problems_dock], [300], Qt.Orientation.Vertical)

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work wherever the focus is
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.act_new = self._action(tr("&New"), self.new_project, key.New,
                                    tr("A new project with an Input and an Output"))
        self.act_open = self._action(tr("&Open…"), lambda: self.open_project(), key.Open)
        self.act_save = self._action(tr("&Save"), self.save, key.Save)
        self.act_save_as = self._action(tr("Save &As…"), self.save_as, key.SaveAs)
        self.act_export = self._action(tr("&Code (.py)…"), self.export_code, "Ctrl+E",
                                       tr("Write the generated PyTorch code"))
        self.act_quit = self._action(tr("&Quit"), self.close, key.Quit)
        self.act_undo = self._action(tr("&Undo"), self.document.undo_stack.undo, key.Undo)
        self.act_redo = self._action(tr("&Redo"), self.document.undo_stack.redo, "Ctrl+Shift+Z")
        self.act_cut = self._action(tr("Cu&t"), self.cut, key.Cut)
        self.act_copy = self._action(tr("&Copy"), self.copy, key.Copy)
        self.act_paste = self._action(tr("&Paste"), self.paste, key.Paste)
        self.act_duplicate = self._action(tr("D&uplicate"), self.duplicate, "Ctrl+D")
        self.act_delete = self._action(tr("&Delete"), self.delete_selection, key.Delete)
        self.act_delete.setShortcuts([QKeySequence(key.Delete), QKeySequence("Backspace")])
        self.act_select_all = self._action(tr("Select &All"), self.select_all, key.SelectAll)
        self.act_layout = self._action(tr("Auto &Layout"), self.auto_layout, "Ctrl+L",
                                       tr("Arrange the graph: chains in readable bands, encoder-decoders as a U"))
        self.act_frame = self._action(tr("&Frame All"), lambda: self.view.frame(), None,
                                      tr("Fit the graph in view (F)"))
        self.act_zoom_in = self._action(tr("Zoom &In"), lambda: self.view.zoom_by(1.25), key.ZoomIn)
        self.act_zoom_out = self._action(tr("Zoom &Out"), lambda: self.view.zoom_by(0.8), key.ZoomOut)
        self.act_add_model = self._action(tr("&Add Model"), self.add_model, None,
                                          tr("A new model (tab) in this project"))
        self.act_rename_model = self._action(tr("&Rename Model…"), self.rename_model)
        self.act_remove_model = self._action(tr("&Delete Model"), self.remove_model)
        self.edit_actions = [self.act_undo, self.act_redo, self.act_cut, self.act_paste, self.act_duplicate,
                             self.act_delete, self.act_layout, self.act_add_model, self.act_rename_model,
                             self.act_remove_model, self.act_new, self.act_open]

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu(tr("&File"))
        file.addAction(self.act_new)
        templates = file.addMenu(tr("New from &Template"))
        for template in TEMPLATES:
            action = templates.addAction(tr(template.title))
            action.setStatusTip(tr(template.description))
            action.triggered.connect(lambda _checked=False, name=template.name: self.new_from_template(name))
        file.addAction(self.act_open)
        self.recent_menu = file.addMenu(tr("Open &Recent"))
        self._fill_recent()
        file.addSeparator()
        file.addActions([self.act_save, self.act_save_as])
        file.addSeparator()
        export = file.addMenu(tr("E&xport"))
        export.addAction(self.act_export)
        file.addSeparator()
        file.addAction(self.act_quit)
        edit = bar.addMenu(tr("&Edit"))
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_duplicate, self.act_delete])
        edit.addSeparator()
        edit.addActions([self.act_select_all, self.act_layout])
        view = bar.addMenu(tr("&View"))
        view.addActions([self.act_frame, self.act_zoom_in, self.act_zoom_out])
        view.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.code_dock, self.problems_dock):
            view.addAction(dock.toggleViewAction())
        model = bar.addMenu(tr("&Model"))
        model.addActions([self.act_add_model, self.act_rename_model, self.act_remove_model])
        self._menus = {"file": file, "export": export, "edit": edit, "view": view, "model": model}

    # -- titles, tabs, status -------------------------------------------------------------------

    def _update_title(self) -> None:
        name = self.document.path.name if self.document.path else tr("untitled")
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.setWindowModified(self.document.dirty)

    def _update_undo_actions(self) -> None:
        stack = self.document.undo_stack
        editable = not self.session.read_only
        self.act_undo.setEnabled(stack.can_undo and editable)
        self.act_redo.setEnabled(stack.can_redo and editable)
        # A step's name (made with tr where the step is made; tr again changes nothing) in the action's text.
        self.act_undo.setText(tr("&Undo {step}", step=tr(stack.undo_text)) if stack.undo_text else tr("&Undo"))
        self.act_redo.setText(tr("&Redo {step}", step=tr(stack.redo_text)) if stack.redo_text else tr("&Redo"))

    def _show_totals(self, _report: object = None) -> None:
        """The model's size and, in short, what Problems and the toolbar say: ready to train or not."""
        report = self.session.report
        if report is None:
            self.totals.setText("")
            return
        if not report.ok:
            count = len(report.errors)
            color, state = "#ff5d5d", trn("{count} problem", "{count} problems", count, count=count)
        elif self._ready is False:
            color, state = "#f0b44c", tr("can't train yet (see Problems)")
        else:
            color, state = "#5cc98a", tr("ready to train")
        state = f"<span style='color:{color}'>{state}</span>"
        self.totals.setText(tr("{model} · {params} parameters · {macs} MACs · {state}", model=report.model.name,
                               params=f"{report.total_params:,}", macs=f"{report.total_macs:,}", state=state) + "  ")

    def _refresh_tabs(self) -> None:
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        for model in self.document.project.models:
            self.tabs.addTab(model.name)
        names = [m.name for m in self.document.project.models]
        if self.session.root in names:  # inside a module: the tab it was entered from
            self.tabs.setCurrentIndex(names.index(self.session.root))
        self.tabs.blockSignals(False)
        self.tabs.setVisible(len(names) > 1)

    def _on_tab(self, index: int) -> None:
        if 0 <= index < len(self.document.project.models):
            self.session.show_model(self.document.project.models[index].name)

    def _on_model_switched(self, _name: str) -> None:
        self._refresh_tabs()
        QTimer.singleShot(0, self.view.frame)

    def _on_change(self, change: Change) -> None:
        if change.kind in (MODEL_ADDED, MODEL_REMOVED, MODEL_RENAMED):
            self._refresh_tabs()

    def _on_reset(self) -> None:
        self._update_title()
        self._refresh_tabs()

    def _on_selection(self) -> None:
        if not shiboken6.isValid(self.scene) or not shiboken6.isValid(self.inspector):
            return  # the window is being torn down and the scene empties itself
        selected = self.scene.selected_node_ids()
        self.inspector.show_nodes(selected)
        if selected:
            self.side_tabs.setCurrentWidget(self.inspector)

    # -- what the window's parts (training) use to add themselves -------------------------------

    def add_page(self, page: QWidget, title: str, where: str) -> None:
        """A page in the side dock ("side", next to the Inspector) or the bottom one ("bottom", next to Problems)."""
        (self.side_tabs if where == "side" else self.bottom_tabs).addTab(page, title)

    def set_page_visible(self, page: QWidget, visible: bool) -> None:
        for tabs in (self.side_tabs, self.bottom_tabs):
            if tabs.indexOf(page) >= 0:
                tabs.setTabVisible(tabs.indexOf(page), visible)

    def page_visible(self, page: QWidget) -> bool:
        return any(tabs.indexOf(page) >= 0 and tabs.isTabVisible(tabs.indexOf(page))
                   for tabs in (self.side_tabs, self.bottom_tabs))

    def add_menu(self, title: str) -> QMenu:
        if self._menu_anchor is None:
            return self.menuBar().addMenu(title)
        menu = QMenu(title, self)
        self.menuBar().insertMenu(self._menu_anchor, menu)
        return menu

    def menu(self, name: str) -> QMenu:
        """One of the window's own menus, for a part to add to: file, export, edit, view or model."""
        return self._menus[name]

    def add_toolbar(self, name: str, title: str | None = None) -> QToolBar:
        """A toolbar: `name` (English) makes its object name, `title` (default: tr(name)) is what the window's
        context menu lists."""
        bar = self.addToolBar(title if title is not None else tr(name))
        bar.setObjectName(f"{name.lower()}_toolbar")
        bar.setMovable(False)
        return bar

    def add_status_widget(self, widget: QWidget) -> None:
        """A part's own figure at the status bar's right, beside the model's totals."""
        self.statusBar().addPermanentWidget(widget)

    def status(self, text: str, milliseconds: int = 6000) -> None:
        self.statusBar().showMessage(text, milliseconds)

    def show_project_problems(self, problems: list, ready: bool, settings_page: QWidget | None = None) -> None:
        """The project's own problems (settings, data, device, lints) in Problems, and its readiness in the
        status bar; a click on a setting's problem opens `settings_page`."""
        self._ready = ready
        self._settings_page = settings_page or self._settings_page
        self.problems.show_project(problems, ready)
        self._show_totals()

    def show_health(self, problems: list) -> None:
        """A run's layer-health warnings: in Problems and as badges on their nodes (each Problem names its model)."""
        self.problems.show_health(problems)
        self.scene.show_health(problems)

    def apply_fix(self, fix) -> None:
        """A problem's one-click repair; the new block is selected."""
        self._run(lambda: self.scene.select_nodes([self.editor.apply_fix(fix)]))

    def add_before_save(self, before: Callable[[Path, Path | None], None]) -> None:
        """Called with (new path, old path) before the project file is written; a WriteError cancels the save."""
        self._before_saves.append(before)

    def add_unsaved_note(self, note: Callable[[], str]) -> None:
        """What else would be lost without saving ("the trained weights of 1 run"), asked with the question."""
        self._unsaved_notes.append(note)

    def add_shut_down(self, shut_down: Callable[[], None]) -> None:
        """Called as the window closes, once closing is decided (a part joins its threads)."""
        self._shut_downs.append(shut_down)

    def set_close_guard(self, guard: Callable[[], bool]) -> None:
        """Asked before the window closes (while training, say): False keeps it open."""
        self._close_guard = guard

    def show_page(self, page: QWidget) -> None:
        """Bring a page of the side or bottom dock to the front (and the dock, if it was closed)."""
        for tabs, dock in ((self.side_tabs, self.inspector_dock), (self.bottom_tabs, self.problems_dock)):
            if tabs.indexOf(page) >= 0:
                dock.show()
                tabs.setCurrentWidget(page)

    def select_node(self, node_id: str) -> None:
        self.scene.select_nodes([node_id])
        item = self.scene.nodes.get(node_id)
        if item is not None:
            self.view.show_item(item)

    # -- editing --------------------------------------------------------------------------------

    def _run(self, action) -> None:
        """An editing action; a refusal (read-only while training, a name taken...) goes to the status bar."""
        try:
            action()
        except EditError as exc:
            self.statusBar().showMessage(str(exc), 6000)

    def copy(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            QGuiApplication.clipboard().setText(self.editor.copy(ids))
            self.statusBar().showMessage(trn("copied {count} block", "copied {count} blocks", len(ids), count=len(ids)),
                                         3000)

    def cut(self) -> None:
        self.copy()
        self.delete_selection()

    def paste(self) -> None:
        def action() -> None:
            ids = self.editor.paste(QGuiApplication.clipboard().text())
            self.scene.select_nodes(ids)
        self._run(action)

    def duplicate(self) -> None:
        self._run(lambda: self.scene.select_nodes(self.editor.duplicate(self.scene.selected_node_ids())))

    def delete_selection(self) -> None:
        self._run(lambda: self.editor.delete(self.scene.selected_node_ids(), self.scene.selected_edges()))

    def select_all(self) -> None:
        self.scene.select_nodes(list(self.scene.nodes))

    def auto_layout(self) -> None:
        self._run(self.editor.auto_layout)
        self.view.frame()

    def _add_at_center(self, type_name: str) -> None:
        if not self.session.read_only:
            self.view.add_block(type_name, self.view.mapToScene(self.view.viewport().rect().center()))

    def add_model(self) -> None:
        self._run(lambda: self.session.show_model(self.editor.add_model()))

    def rename_model(self) -> None:
        old = self.session.model
        new = self.dialogs.text(tr("Rename model"), tr("Model name (its class name in the code):"), old)
        if new is not None:
            self._run(lambda: self.editor.rename_model(old, new))

    def remove_model(self) -> None:
        self._run(lambda: self.editor.remove_model(self.session.model))

    def set_read_only(self, read_only: bool, reason: str = "") -> None:
        """While training: look, don't touch. The banner says why."""
        self.session.read_only = read_only
        if reason:
            self.banner.setText(reason)
        self.banner.setVisible(read_only)
        for item in self.scene.nodes.values():
            item.setFlag(item.GraphicsItemFlag.ItemIsMovable, not read_only)
        for action in self.edit_actions:
            action.setEnabled(not read_only)
        self.palette.setEnabled(not read_only)
        self.inspector.setEnabled(not read_only)
        self._update_undo_actions()

    # -- files ----------------------------------------------------------------------------------

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current project (saved, discarded, or unchanged)."""
        if not self.document.dirty:
            return True
        name = self.document.path.name if self.document.path else tr("the untitled project")
        notes = [note for note in (ask() for ask in self._unsaved_notes) if note]
        if notes:  # what else is lost, after the project's name
            name = tr("{project} ({notes})", project=name, notes=tr("; ").join(notes))
        answer = self.dialogs.save_changes(name)
        if answer == SAVE:
            return self.save()
        return answer == DISCARD

    def _load(self, project: Project) -> None:
        self.document.replace(project)
        self.autosaver.discard()
        self._update_title()
        QTimer.singleShot(0, self.view.frame)

    def new_project(self) -> None:
        if self.maybe_save():
            self._load(new_project())

    def new_from_template(self, name: str) -> None:
        if self.maybe_save():
            self._load(load_template(name))

    def open_project(self, path: str | Path | None = None) -> bool:
        if not self.maybe_save():
            return False
        path = path or self.dialogs.open_file(tr("Open project"), self._folder(), tr(FILTER))
        if not path:
            return False
        try:
            project = load_project(path)
        except ProjectError as exc:
            shown = "\n".join(exc.problems[:12]) + ("\n…" if len(exc.problems) > 12 else "")
            self.dialogs.error(tr("Cannot open project"),
                               tr("{source} could not be opened:\n\n{problems}", source=exc.source, problems=shown))
            return False
        self._load(project)
        self._remember(Path(path))
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        path = self.dialogs.save_file(tr("Save project"), self._folder() / "untitled.json", tr(FILTER))
        if path and not path.endswith(".json"):
            path += ".json"
        return self._save_to(Path(path)) if path else False

    def _folder(self) -> Path:
        return self.document.path.parent if self.document.path else Path.cwd()

    def _save_to(self, path: Path) -> bool:
        try:
            for before in self._before_saves:  # what goes beside the file (kept weights), then the file
                before(path.resolve(), self.document.path)
            self.document.save(path)
        except OSError as exc:  # a WriteError names the path and the cause
            self.dialogs.error(tr("Cannot save"), str(exc))
            return False
        self.autosaver.discard()
        self._remember(path)
        self._update_title()
        self.statusBar().showMessage(tr("saved {path}", path=path), 4000)
        return True

    def export_code(self) -> None:
        if not self.torch.ready:  # the generator needs torch: the export goes on once it has loaded
            self.torch.when_loaded(self.export_code)
            self.status(self.torch.why_waiting())
            return
        from builder.compile import CompileError, generate_code

        try:
            code = generate_code(self.document.project)
        except CompileError as exc:
            self.dialogs.error(tr("Cannot export"), tr("Fix these first:\n\n{problems}", problems=exc))
            return
        path = self.dialogs.save_file(tr("Export code"), self._folder() / "model.py", "Python (*.py)")
        if not path:
            return
        try:
            atomic_write_text(path, code.source)
        except WriteError as exc:
            self.dialogs.error(tr("Cannot export"), str(exc))
            return
        self.statusBar().showMessage(tr("wrote {path}", path=path), 4000)

    def _remember(self, path: Path) -> None:
        recent = [p for p in self.recent_files() if p != str(path.resolve())]
        self.settings.setValue("recent", [str(path.resolve()), *recent][:MAX_RECENT])
        self._fill_recent()

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_project(p))
        self.recent_menu.setEnabled(bool(self.recent_files()))

    # -- autosave and recovery ------------------------------------------------------------------

    def autosave(self) -> None:
        if self.document.dirty:
            self.autosaver.save(self.document.to_json(), self.document.path)

    def offer_recovery(self) -> None:
        for found in self.autosaver.left_behind():
            if self.dialogs.yes_no(tr("{app} closed before saving {what}.\n\nRecover that work?", app=APP_NAME,
                                     what=found.describe())):
                self.recover(found)
                return
            Autosaver.forget(found)

    def recover(self, found: Recovered) -> None:
        try:
            project = read_recovered(found)
        except ProjectError as exc:
            self.dialogs.error(tr("Cannot recover"), str(exc))
            return
        self.document.replace(project)
        self.document.undo_stack.mark_unsaved()  # saved nowhere yet: closing must ask
        Autosaver.forget(found)
        self.autosave()
        self._update_title()

    def restart(self) -> None:
        """Close as closing does (asking to save), then let the app open this project again in a new window."""
        self.restart_requested = True
        if not self.close():
            self.restart_requested = False

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._close_guard is not None and not self._close_guard():
            event.ignore()
            return
        if not self.maybe_save():
            event.ignore()
            return
        self.autosaver.discard()
        for shut_down in self._shut_downs:
            shut_down()
        event.accept()
