"""The training panel: data source, task and loader settings, loss, optimizer and schedule.

Every editor comes from a declaration (DATA_PARAMS, TRAINING_PARAMS, the optimizer's and the
schedule's options, the source's keys); every change is one undoable SetSection command.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from builder.blocks.params import REQUIRED, Param
from builder.core.commands import SetSection
from builder.core.document import SECTION_CHANGED, Change
from builder.edit.editor import Editor
from builder.edit.session import Session
from builder.train.config import DATA_PARAMS, DEFAULT_SOURCE, GAN_PARAMS, TRAINING_PARAMS, located
from builder.train.data.sources import SOURCES
from builder.train.optimizers import OPTIMIZERS
from builder.train.schedules import SCHEDULES
from builder.ui.editors import OptionalEditor, ParamEditor, make_editor

# The choices of the source menu: (value, label); synthetic sets are one entry per set.
SOURCE_CHOICES = [
    ("synthetic:shapes", "Built-in: shapes (images)"),
    ("synthetic:blobs", "Built-in: blobs (vectors)"),
    ("image_folder", "Image folder"),
    ("npz", "NumPy .npz file"),
    ("npy", "NumPy .npy files"),
    ("idx", "MNIST files (IDX)"),
    ("csv", "CSV table"),
]
# Source keys that name files or folders get a Browse button.
PATH_KEYS = {("image_folder", "path"): "folder", ("image_folder", "targets"): "folder", ("npz", "path"): "file",
             ("npy", "x"): "file", ("npy", "y"): "file", ("idx", "images"): "file", ("idx", "labels"): "file",
             ("csv", "path"): "file"}
NUMBER_KEYS = {"samples", "noise", "classes", "seed"}
DEVICE_HELP = "Where training runs: auto picks a CUDA GPU when there is one."


def source_choice(source: dict[str, Any]) -> str:
    kind = source.get("kind", "synthetic")
    return f"synthetic:{source.get('name', 'shapes')}" if kind == "synthetic" else kind


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
        self.layout_.addWidget(self.error)
        self.layout_.addStretch()
        self.setWidget(page)
        self.document.changed.connect(self._on_change)
        self.document.reset.connect(self.refresh)
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

    def _build_data(self) -> None:
        form = self._group("Data")
        self.source = QComboBox()
        for value, label in SOURCE_CHOICES:
            self.source.addItem(label, value)
        self.source.setToolTip("Where the samples come from; the built-in sets need no files")
        self.source.activated.connect(self._source_chosen)
        form.addRow("source", self.source)
        self.source_form = _subform(form)
        self.source_fields: dict[str, QLineEdit] = {}
        self.data_editors = self._editors(form, DATA_PARAMS, "data")
        self.preview_button = QPushButton("Preview samples")
        self.preview_button.setToolTip("Show a few samples as the network will see them, with their labels")
        self.preview_button.clicked.connect(self.preview_requested)
        form.addRow(self.preview_button)

    def _build_training(self) -> None:
        form = self._group("Training")
        self.model = QComboBox()
        self.model.setToolTip("The model to train")
        self.model.activated.connect(lambda _i: self._set("training", "model", self.model.currentData()))
        form.addRow("model", self.model)
        self.device = QComboBox()
        self.device.setToolTip(DEVICE_HELP)
        self.device.activated.connect(lambda _i: self._set("training", "device", self.device.currentData()))
        params = tuple(p for p in TRAINING_PARAMS if p.name not in ("model", "device"))
        self.training_editors = self._editors(form, params, "training")
        form.addRow("device", self.device)
        self.options_form = _subform(form)
        self.option_editors: dict[str, ParamEditor] = {}
        self._options_for: str | None = None
        self.schedule = QComboBox()
        self.schedule.addItem("none", None)
        for name, spec in SCHEDULES.items():
            self.schedule.addItem(name, name)
            self.schedule.setItemData(self.schedule.count() - 1, spec.description, 3)  # tooltip role
        self.schedule.activated.connect(self._schedule_chosen)
        form.addRow("schedule", self.schedule)
        self.schedule_form = _subform(form)
        self.schedule_editors: dict[str, ParamEditor] = {}
        self._schedule_for: str | None = None
        self._build_gan()

    def _build_gan(self) -> None:
        """The GAN settings, shown when the mode is gan: which model plays which part, and per side."""
        form = self._group("GAN")
        self.gan_box = form.parentWidget()
        self.gan_models: dict[str, QComboBox] = {}
        for key in ("generator", "discriminator"):
            combo = QComboBox()
            combo.setToolTip(next(p.help for p in GAN_PARAMS if p.name == key))
            combo.activated.connect(lambda _i, k=key, c=combo: self._set("training", k, c.currentData()))
            form.addRow(key, combo)
            self.gan_models[key] = combo
        params = tuple(p for p in GAN_PARAMS if p.name not in self.gan_models)
        self.gan_editors = self._editors(form, params, "training")

    def _editors(self, form: QFormLayout, params: tuple[Param, ...], section: str) -> dict[str, ParamEditor]:
        editors = {}
        for param in params:
            editor = OptionalEditor(param) if param.optional else make_editor(param)
            editor.edited.connect(lambda value, p=param, s=section: self._set(s, p.name, value, p))
            label = QLabel(param.name)
            label.setToolTip(param.help)
            form.addRow(label, editor)
            editors[param.name] = editor
        return editors

    # -- showing the document's settings --------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.kind == SECTION_CHANGED:
            self.refresh()

    def refresh(self) -> None:
        project = self.document.project
        data, training = project.data, project.training
        source = data.get("source", DEFAULT_SOURCE)
        choice = source_choice(source)
        index = self.source.findData(choice)
        self.source.setCurrentIndex(max(index, 0))
        self._fill_source_fields(source)
        for name, editor in self.data_editors.items():
            param = editor.param
            editor.set_value(data.get(name, None if param.default is REQUIRED else param.default))
            if isinstance(editor, OptionalEditor):
                editor.set_placeholder("from the training seed" if name == "seed" else "decided by size")
        for name, editor in self.training_editors.items():
            param = editor.param
            editor.set_value(training.get(name, param.default))
            if isinstance(editor, OptionalEditor):
                editor.set_placeholder({"loss": "by the task", "early_stopping": "off"}.get(name, "not set"))
        self._fill_models(training.get("model"))
        self._fill_devices(training.get("device", "auto"))
        self._fill_options(training)
        self._fill_schedule(training.get("schedule"))
        self._fill_gan(training)

    def _fill_gan(self, training: dict[str, Any]) -> None:
        gan = training.get("mode") == "gan"
        self.gan_box.setVisible(gan)
        names = [m.name for m in self.document.project.models]
        for index, (key, combo) in enumerate(self.gan_models.items()):
            combo.clear()
            default = names[index] if index < len(names) else "?"
            combo.addItem(f"{'first' if index == 0 else 'second'} model ({default})", None)
            for name in names:
                combo.addItem(name, name)
            combo.setCurrentIndex(max(combo.findData(training.get(key)), 0))
        for name, editor in self.gan_editors.items():
            editor.set_value(training.get(name, editor.param.default))
            if isinstance(editor, OptionalEditor):
                editor.set_placeholder("lr")

    def _fill_models(self, chosen: str | None) -> None:
        names = [m.name for m in self.document.project.models]
        self.model.clear()
        self.model.addItem(f"first model ({names[0]})" if names else "first model", None)
        for name in names:
            self.model.addItem(name, name)
        self.model.setCurrentIndex(max(self.model.findData(chosen), 0))

    def _fill_devices(self, chosen: str) -> None:
        from builder.train.devices import available_devices

        self.device.clear()
        self.device.addItem("auto", "auto")
        for value, label in available_devices():
            self.device.addItem(label, value)
        if self.device.findData(chosen) < 0:
            self.device.addItem(f"{chosen} (not on this machine)", chosen)
        self.device.setCurrentIndex(self.device.findData(chosen))

    def _fill_source_fields(self, source: dict[str, Any]) -> None:
        kind = source.get("kind", "synthetic")
        spec = SOURCES.get(kind)
        keys = [k for k in (spec.keys if spec else {}) if not (kind == "synthetic" and k == "name")]
        if list(self.source_fields) != keys or getattr(self, "_source_kind", None) != kind:
            while self.source_form.rowCount():
                self.source_form.removeRow(0)
            self.source_fields = {}
            self._source_kind = kind
            for key in keys:
                field = QLineEdit()
                field.setToolTip(spec.keys[key])
                field.setPlaceholderText(spec.keys[key][:60])
                field.editingFinished.connect(lambda k=key, f=field: self._source_key(k, f.text()))
                row: QWidget = field
                if (kind, key) in PATH_KEYS:
                    row = QWidget()
                    line = QHBoxLayout(row)
                    line.setContentsMargins(0, 0, 0, 0)
                    browse = QPushButton("…")
                    browse.setToolTip(f"Choose the {PATH_KEYS[(kind, key)]}")
                    browse.setMaximumWidth(32)
                    browse.clicked.connect(lambda _c=False, k=key: self._browse(k))
                    line.addWidget(field, 1)
                    line.addWidget(browse)
                label = QLabel(key)
                label.setToolTip(spec.keys[key])
                self.source_form.addRow(label, row)
                self.source_fields[key] = field
        for key, field in self.source_fields.items():
            if not field.hasFocus():
                value = source.get(key)
                field.setText("" if value is None else (", ".join(map(str, value)) if isinstance(value, list)
                                                        else str(value)))

    def _fill_options(self, training: dict[str, Any]) -> None:
        name = training.get("optimizer", "Adam")
        spec = OPTIMIZERS.get(name)
        if name != self._options_for:
            while self.options_form.rowCount():
                self.options_form.removeRow(0)
            self.option_editors = {}
            self._options_for = name
            for param in spec.options if spec else ():
                editor = make_editor(param)
                editor.edited.connect(lambda value, p=param: self._set("training", p.name, value, p))
                label = QLabel(f"  {param.name}")
                label.setToolTip(param.help)
                self.options_form.addRow(label, editor)
                self.option_editors[param.name] = editor
        for key, editor in self.option_editors.items():
            value = training.get(key, editor.param.default)
            editor.set_value(list(value) if isinstance(value, tuple) else value)

    def _fill_schedule(self, schedule: dict[str, Any] | None) -> None:
        name = schedule.get("kind") if isinstance(schedule, dict) else None
        self.schedule.setCurrentIndex(max(self.schedule.findData(name), 0))
        if name != self._schedule_for:
            while self.schedule_form.rowCount():
                self.schedule_form.removeRow(0)
            self.schedule_editors = {}
            self._schedule_for = name
            for param in SCHEDULES[name].options if name else ():
                editor = OptionalEditor(param) if param.optional else make_editor(param)
                editor.edited.connect(lambda value, p=param: self._set_schedule_option(p, value))
                label = QLabel(f"  {param.name}")
                label.setToolTip(param.help)
                self.schedule_form.addRow(label, editor)
                self.schedule_editors[param.name] = editor
        for key, editor in self.schedule_editors.items():
            default = None if editor.param.default is REQUIRED else editor.param.default
            editor.set_value((schedule or {}).get(key, default))

    # -- edits ----------------------------------------------------------------------------------

    def _commit(self, section: str, value: dict[str, Any], text: str) -> None:
        if value != getattr(self.document.project, section):
            self.document.execute(SetSection(section, value, text))

    def _set(self, section: str, key: str, value: Any, param: Param | None = None) -> None:
        if self.session.read_only:
            self.refresh()
            return
        if param is not None and value is not None:
            _normalized, error = param.validate(value)
            if error:
                self.error.setText(located(section, param, error))
                self.refresh()
                return
        self.error.setText("")
        current = copy.deepcopy(getattr(self.document.project, section))
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
        self._commit(section, current, f"set {section}.{key}")

    def _source_chosen(self, _index: int) -> None:
        choice = self.source.currentData()
        if choice.startswith("synthetic:"):
            source = {"kind": "synthetic", "name": choice.split(":", 1)[1]}
        else:
            source = {"kind": choice}
        data = copy.deepcopy(self.document.project.data)
        old = data.get("source", DEFAULT_SOURCE)
        if source_choice(old) == choice:
            return
        data["source"] = source
        self._commit("data", data, "change the data source")

    def _source_key(self, key: str, text: str) -> None:
        data = copy.deepcopy(self.document.project.data)
        source = dict(data.get("source", DEFAULT_SOURCE))
        text = text.strip()
        if not text:
            source.pop(key, None)
        elif key in NUMBER_KEYS:
            try:
                source[key] = int(text) if text.lstrip("-").isdigit() else float(text)
            except ValueError:
                self.error.setText(f"data.source.{key}: must be a number, got '{text}'")
                self.refresh()
                return
        elif key == "columns":
            source[key] = [c.strip() for c in text.split(",") if c.strip()]
        else:
            source[key] = text
        self.error.setText("")
        data["source"] = source
        self._commit("data", data, f"set data.source.{key}")

    def _browse(self, key: str) -> None:
        kind = self._source_kind
        folder = self.document.project.folder
        if PATH_KEYS[(kind, key)] == "folder":
            chosen = QFileDialog.getExistingDirectory(self, f"Choose {key}", str(folder))
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, f"Choose {key}", str(folder))
        if chosen:
            self._source_key(key, relative_to(Path(chosen), folder))

    def _schedule_chosen(self, _index: int) -> None:
        name = self.schedule.currentData()
        training = copy.deepcopy(self.document.project.training)
        if name is None:
            training.pop("schedule", None)
        else:
            defaults = {"StepLR": {"step_size": 5}}.get(name, {})
            training["schedule"] = {"kind": name, **defaults}
        self._commit("training", training, "change the schedule")

    def _set_schedule_option(self, param: Param, value: Any) -> None:
        if value is not None:
            _normalized, error = param.validate(value)
            if error:
                self.error.setText(located("training.schedule", param, error))
                self.refresh()
                return
        training = copy.deepcopy(self.document.project.training)
        schedule = dict(training.get("schedule") or {})
        if value is None:
            schedule.pop(param.name, None)
        else:
            schedule[param.name] = value
        training["schedule"] = schedule
        self._commit("training", training, f"set schedule {param.name}")


def _subform(form: QFormLayout) -> QFormLayout:
    """A form nested in a row of another, for rows that change with a choice (a source's keys, an
    optimizer's options, a schedule's options)."""
    inner = QFormLayout()
    inner.setContentsMargins(0, 0, 0, 0)
    holder = QWidget()
    holder.setLayout(inner)
    form.addRow(holder)
    return inner


def relative_to(path: Path, folder: Path) -> str:
    """Paths inside the project's folder are kept relative, so the project can move with its data."""
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(path)
