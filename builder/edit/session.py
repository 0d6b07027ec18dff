"""The editor's session: the document, which model is shown, its latest check, and whether it may be edited.

Views draw from the document and from the report this session publishes after every edit. A module can be
entered through one of its uses (double-click on `layer2.0`): the trail of uses is kept, and the module is
checked as that use sees it (the shapes and values that reach it), so an edit inside shows what it does to
the network around it.
"""

from __future__ import annotations

from builder.blocks.check import ModelReport, check_model, check_use
from builder.blocks.recheck import recheck
from builder.core.document import MODEL_REMOVED, MODEL_RENAMED, Change, Document
from builder.core.events import Signal


class Session:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.report: ModelReport | None = None
        self.read_only = False  # while training: the canvas can be looked at, not edited
        self.model_switched = Signal()  # (str): the model shown changed (another tab, a new project, a use entered)
        self.checked = Signal()  # (ModelReport | None): the model shown, checked after every edit
        self._model = self._first_model()
        self.trail: list[tuple[str, str]] = []  # (model, use) entered to reach the model shown, outermost first
        self.standalone = False  # inside a use whose module could not be checked through: its own defaults
        self._root_report: ModelReport | None = None  # the root's last check, which the next one starts from
        self.report = self._check() if self._model else None
        document.edited.connect(self.recheck)
        document.reset.connect(self._on_reset)
        document.changed.connect(self._on_change)

    @property
    def model(self) -> str:
        return self._model

    def _first_model(self) -> str:
        return self.document.project.models[0].name if self.document.project.models else ""

    @property
    def root(self) -> str:
        """The model the trail starts from: the tab shown."""
        return self.trail[0][0] if self.trail else self._model

    def breadcrumb(self) -> list[str]:
        """`ResNet18 › BasicBlock (layer2.0)` as its parts: the root, then each module entered and its use."""
        inners = [model for model, _use in self.trail[1:]] + [self._model]
        return [self.root, *(f"{inner} ({use})" for (_model, use), inner in zip(self.trail, inners))]

    def show_model(self, name: str) -> None:
        if name != self._model or self.trail:
            self._model = name
            self.trail = []
            self.model_switched.emit(name)
            self.recheck()

    def enter(self, use_id: str) -> str:
        """Show the definition of the module that `use_id` (a node of the model shown) uses; returns its name."""
        node = self.document.model(self._model).node(use_id)
        self.trail.append((self._model, use_id))
        self._model = node.type
        self.model_switched.emit(self._model)
        self.recheck()
        return self._model

    def leave(self, levels: int = 1) -> None:
        """Back out of `levels` entered uses (to the breadcrumb's part clicked)."""
        levels = min(levels, len(self.trail))
        if levels <= 0:
            return
        self._model = self.trail[-levels][0]
        del self.trail[-levels:]
        self.model_switched.emit(self._model)
        self.recheck()

    def recheck(self) -> None:
        models = {m.name: m for m in self.document.project.models}
        if self._model not in models or not self._trail_holds(models):
            self._model = self.root if self.root in models else next(iter(models), "")
            self.trail = []
            self.model_switched.emit(self._model)
        self.report = self._check() if self._model else None
        self.checked.emit(self.report)

    def _trail_holds(self, models: dict) -> bool:
        """Every use of the trail is still there and still uses the next model (an undo may have removed it)."""
        for (model, use), inner in zip(self.trail, [*(m for m, _ in self.trail[1:]), self._model]):
            graph = models.get(model)
            if graph is None or use not in graph.node_ids() or graph.node(use).type != inner:
                return False
        return True

    def _check(self) -> ModelReport:
        project = self.document.project
        root = self.document.model(self.root)
        previous = self._root_report
        report = recheck(previous, root, project) if previous is not None else None
        if report is None:  # more than parameters changed (or another model, or the model shown)
            report = check_model(root, project)
        self._root_report = report
        for _model, use in self.trail:
            inner = check_use(report, use) if report is not None else None
            report = inner
        self.standalone = report is None
        return report if report is not None else check_model(self.document.model(self._model), project)

    def _on_reset(self) -> None:
        self._model = self._first_model()
        self.trail = []
        self.model_switched.emit(self._model)
        self.recheck()

    def _on_change(self, change: Change) -> None:
        if change.kind == MODEL_RENAMED:
            old, new = change.detail, change.model
            self.trail = [(new if m == old else m, use) for m, use in self.trail]
            if old == self._model:
                self._model = new
                self.model_switched.emit(self._model)
        elif change.kind == MODEL_REMOVED and change.model == self._model:
            remaining = [m.name for m in self.document.project.models]
            self._model = self.root if self.root in remaining else remaining[0] if remaining else ""
            self.trail = []
            self.model_switched.emit(self._model)
