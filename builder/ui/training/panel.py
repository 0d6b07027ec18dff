"""The training panel: the data source and its keys, the data settings, loss, optimizer and its options,
schedule and its options, and a GAN's models.

Every editor comes from a declaration (the source's Params, DATA_PARAMS, TRAINING_PARAMS, GAN_PARAMS, the
optimizer's and the schedule's options) through one ParamForm each; every change goes through the Editor
as one undoable command, and an invalid value is refused there with its located reason.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from builder.blocks.params import Param
from builder.core.document import SECTION_CHANGED, Change
from builder.core.i18n import N_, tr
from builder.edit.editor import EditError, Editor
from builder.edit.session import Session
from builder.train.config import DATA_PARAMS, DEFAULT_SOURCE, GAN_PARAMS, TRAINING_PARAMS
from builder.train.data.sources import SOURCES
from builder.train.optimizers import OPTIMIZERS
from builder.train.schedules import SCHEDULES
from builder.ui.param_editors import ComboBox
from builder.ui.param_form import ParamForm

DEVICE_HELP = N_("Where training runs: auto picks a CUDA GPU when there is one. With several GPUs, \"all\" trains "
                 "on every one, a process each (DistributedDataParallel); the batch size is then per process.")
CHOSEN_BY_MENU = ("model", "device", "generator", "discriminator")  # a menu of what is there, not a typed value


def source_choices() -> list[tuple[dict[str, Any], str]]:
    """The source menu: each kind, and each value of a kind's variant key (the built-in sets) on its own."""
    choices = []
    for kind in SOURCES.values():
        if kind.variant is None:
            choices.append(({"kind": kind.kind}, tr(kind.label)))
            continue
        for value in kind.param(kind.variant).choices:
            choices.append(({"kind": kind.kind, kind.variant: value}, tr("{source}: {name}", source=tr(kind.label), name=value)))
    return choices


def _chosen(source: dict[str, Any]) -> dict[str, Any]:
    """What of a source object the menu shows: its kind, and its variant's value (or that value's default)."""
    kind = SOURCES.get(source.get("kind"))
    if kind is None or kind.variant is None:
        return {"kind": source.get("kind")}
    return {"kind": kind.kind, kind.variant: source.get(kind.variant, kind.param(kind.variant).default)}


class TrainingPanel(QScrollArea):
    preview_requested = Signal()

    def __init__(self, session: Session, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.editor = editor
        self.document = session.document
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        page = QWidget()
        self.layout_ = QVBoxLayout(page)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self._build_data()
        self._build_training()
        self._build_gan()
        self.layout_.addWidget(self.error)
        self.layout_.addStretch()
        self.setWidget(page)
        self.document.changed.connect(self._on_change)
        self.document.reset.connect(self._on_reset)
        self.refresh()

    def add_above(self, *widgets: QWidget) -> None:
        """Widgets between the Data group and the Training group (the data preview)."""
        for offset, widget in enumerate(widgets, start=1):
            self.layout_.insertWidget(offset, widget)

    # -- building -------------------------------------------------------------------------------

    def _group(self, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layout_.addWidget(box)
        return form

    def _form(self, group: QFormLayout, params: tuple[Param, ...], path: tuple[str, ...], indent: str = "") -> ParamForm:
        """A form whose edits set `path + (param name,)` in the project's settings."""
        form = ParamForm(params, indent)
        form.edited.connect(lambda param, value: self._set((*path, param.name), value, param))
        group.addRow(form)
        return form

    def _menu(self, group: QFormLayout, label: str, tip: str, key: tuple[str, ...]) -> QComboBox:
        combo = ComboBox()
        combo.setToolTip(tr(tip))
        combo.activated.connect(lambda _i: self._set(key, combo.currentData()))
        title = QLabel(label)
        title.setToolTip(tr(tip))
        group.addRow(title, combo)
        return combo

    def _build_data(self) -> None:
        group = self._group(tr("Data"))
        self.source = ComboBox()
        for value, label in source_choices():
            self.source.addItem(label, value)
        self.source.setToolTip(tr("Where the samples come from; the built-in sets need no files"))
        self.source.activated.connect(self._source_chosen)
        group.addRow("source", self.source)
        self.source_form = self._form(group, (), ("data", "source"), "  ")
        self.data_form = self._form(group, DATA_PARAMS, ("data",))
        self.preview_button = QPushButton(tr("Preview samples"))
        self.preview_button.setToolTip(tr("Show a few samples as the network will see them, with their labels"))
        self.preview_button.clicked.connect(self.preview_requested)
        group.addRow(self.preview_button)

    def _build_training(self) -> None:
        group = self._group(tr("Training"))
        self.model = self._menu(group, "model", N_("The model to train"), ("training", "model"))
        self.training_form = self._form(group, tuple(p for p in TRAINING_PARAMS if p.name not in CHOSEN_BY_MENU),
                                        ("training",))
        self.device = self._menu(group, "device", DEVICE_HELP, ("training", "device"))
        self.options_form = self._form(group, (), ("training",), "  ")
        self.schedule = ComboBox()
        self.schedule.addItem(tr("none"), None)
        for name, spec in SCHEDULES.items():
            self.schedule.addItem(name, name)
            self.schedule.setItemData(self.schedule.count() - 1, tr(spec.description), 3)  # tooltip role
        self.schedule.activated.connect(self._schedule_chosen)
        group.addRow("schedule", self.schedule)
        self.schedule_form = self._form(group, (), ("training", "schedule"), "  ")

    def _build_gan(self) -> None:
        """The GAN settings, shown when the mode is gan: which model plays which part, and per side."""
        group = self._group(tr("GAN"))
        self.gan_box = group.parentWidget()
        help_of = {p.name: p.help for p in GAN_PARAMS}
        self.gan_models = {key: self._menu(group, key, help_of[key], ("training", key))
                           for key in ("generator", "discriminator")}
        self.gan_form = self._form(group, tuple(p for p in GAN_PARAMS if p.name not in CHOSEN_BY_MENU), ("training",))

    # -- showing the document's settings --------------------------------------------------------

    def _on_reset(self) -> None:
        self.error.setText("")  # the last project's refusal means nothing for this one
        self.refresh()

    def _on_change(self, change: Change) -> None:
        if change.kind == SECTION_CHANGED:
            self.refresh()

    def refresh(self) -> None:
        project = self.document.project
        data, training = project.data, project.training
        source = data.get("source", DEFAULT_SOURCE) if isinstance(data.get("source"), dict) else DEFAULT_SOURCE
        self.source.setCurrentIndex(max(self.source.findData(_chosen(source)), 0))
        kind = SOURCES.get(source.get("kind"))
        self.source_form.set_params(tuple(p for p in kind.params if p.name != kind.variant) if kind else ())
        self.source_form.set_values(source, project.folder)
        self.data_form.set_values(data)
        self.training_form.set_values(training, project.folder)  # path pickers (init_weights, tensorboard) start there
        optimizer = OPTIMIZERS.get(training.get("optimizer", "Adam"))
        self.options_form.set_params(optimizer.options if optimizer else ())
        self.options_form.set_values(training)
        schedule = training.get("schedule") if isinstance(training.get("schedule"), dict) else None
        name = schedule.get("kind") if schedule else None
        self.schedule.setCurrentIndex(max(self.schedule.findData(name), 0))
        self.schedule_form.set_params(SCHEDULES[name].options if name in SCHEDULES else ())
        self.schedule_form.set_values(schedule or {})
        self._fill_models(training)
        self._fill_devices(training.get("device", "auto"))
        self.gan_box.setVisible(training.get("mode") == "gan")
        self.gan_form.set_values(training)

    def _fill_models(self, training: dict[str, Any]) -> None:
        names = [m.name for m in self.document.project.models]
        for combo, key, index in ((self.model, "model", 0), (self.gan_models["generator"], "generator", 0),
                                  (self.gan_models["discriminator"], "discriminator", 1)):
            combo.clear()
            default = names[index] if index < len(names) else "?"
            combo.addItem(tr("first model ({name})", name=default) if index == 0 else
                          tr("second model ({name})", name=default), None)
            for name in names:
                combo.addItem(name, name)
            combo.setCurrentIndex(max(combo.findData(training.get(key)), 0))

    def _fill_devices(self, chosen: str) -> None:
        from builder.train.devices import available_devices

        self.device.clear()
        self.device.addItem(tr("auto"), "auto")
        for value, label in available_devices():
            self.device.addItem(label, value)
        if self.device.findData(chosen) < 0:
            self.device.addItem(tr("{device} (not on this machine)", device=chosen), chosen)
        self.device.setCurrentIndex(self.device.findData(chosen))

    # -- edits ----------------------------------------------------------------------------------

    def _set(self, path: tuple[str, ...], value: Any, param: Param | None = None) -> None:
        try:
            self.editor.set_setting(path, value, param)
        except EditError as exc:
            self.error.setText(str(exc))
            self.refresh()  # the editor back to the document's value
            return
        self.error.setText("")

    def _source_chosen(self, _index: int) -> None:
        """Another source: its kind (and variant) only, since the old source's keys mean nothing to it."""
        chosen = self.source.currentData()
        current = self.document.project.data.get("source", DEFAULT_SOURCE)
        if isinstance(current, dict) and _chosen(current) == chosen:
            return
        self._set(("data", "source"), dict(chosen))

    def _schedule_chosen(self, _index: int) -> None:
        name = self.schedule.currentData()
        self._set(("training", "schedule"), {"kind": name, **SCHEDULES[name].starter} if name else None)
