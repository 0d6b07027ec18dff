"""File → Export: the trained weights, a model folder, a training script, .pt2 (torch.export), ONNX and
TorchScript (deprecated in PyTorch, kept while torch has it); and loading
weights into the model. Each failure (a model with problems, a file that cannot be written or read)
is shown by name in a dialog; the work in the window is never touched by one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QGuiApplication

from builder.core.atomic import WriteError
from builder.core.i18n import N_, tr
from builder.ui.training.controller import TrainingController

# kind → file suffix, file dialog filter, the format's name in titles
PORTABLE = {"pt2": (".pt2", "PyTorch program (*.pt2)", ".pt2"), "onnx": (".onnx", "ONNX (*.onnx)", "ONNX"),
            "torchscript": (".pt", "TorchScript (*.pt)", "TorchScript")}
WEIGHTS_FILES = N_("Weights (*.pt *.pth *.bin *.ckpt *.safetensors);;All files (*)")


class TrainingExports(QObject):
    def __init__(self, window: Any, controller: TrainingController) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.document = window.document
        self.controller = controller
        menu = window.menu("export")
        menu.addSeparator()
        self.weights_pt = menu.addAction(tr("Trained &Weights (.pt)…"), lambda: self.export_weights(".pt"))
        self.weights_st = menu.addAction(tr("Trained Weights (.&safetensors)…"), lambda: self.export_weights(".safetensors"))
        self.folder_action = menu.addAction(tr("Model &Folder (code, weights, README)…"), self.export_folder)
        menu.addSeparator()
        self.script_action = menu.addAction(tr("Training &Script (train.py, for torchrun)…"), self.export_script)
        self.pt2_action = menu.addAction(tr("&PyTorch Program (.pt2, torch.export)…"), lambda: self.export_portable("pt2"))
        self.pt2_action.setStatusTip(tr("The recommended way to take the model elsewhere: Netron, Model Explorer "
                                        "and MATLAB read it"))
        self.onnx_action = menu.addAction(tr("&ONNX…"), lambda: self.export_portable("onnx"))
        self.torchscript_action = menu.addAction(tr("&TorchScript (deprecated)…"),
                                                 lambda: self.export_portable("torchscript"))
        self.torchscript_action.setStatusTip(tr("TorchScript is deprecated in PyTorch; prefer .pt2 (torch.export)"))
        menu.addSeparator()
        self.load_action = menu.addAction(tr("&Load Weights into the Model…"), self.load_weights)
        controller.running_changed.connect(lambda _running: self.update_actions())
        self.update_actions()

    @property
    def dialogs(self):
        """The window's, looked up each time: a test may put a scripted stand-in there."""
        return self.window.dialogs

    def update_actions(self) -> None:
        has = self.controller.trained is not None and not self.controller.running
        for action in (self.weights_pt, self.weights_st, self.folder_action):
            action.setEnabled(has)
        for action in (self.load_action, self.script_action, self.pt2_action, self.onnx_action,
                       self.torchscript_action):
            action.setEnabled(not self.controller.running)

    def _folder(self) -> Path:
        return self.document.path.parent if self.document.path else Path.cwd()

    def _wrote(self, title: str, write: Any) -> bool:
        """Run a writer; a file that cannot be written is a dialog naming it, not a traceback."""
        try:
            write()
        except WriteError as exc:
            self.dialogs.error(title, str(exc))
            return False
        return True

    # -- weights and folders --------------------------------------------------------------------

    def export_weights(self, suffix: str) -> None:
        from builder.train.checkpoint import save_weights

        trained = self.controller.trained
        if trained is None:
            return
        path = self.dialogs.save_file(tr("Export trained weights"), self._folder() / f"{trained.class_name}{suffix}",
                                      tr("Weights (*{suffix})", suffix=suffix))
        if path and self._wrote(tr("Cannot export the weights"),
                                lambda: save_weights(trained.state, Path(path), trained.classes)):
            self.window.status(tr("wrote {path}", path=path), 5000)

    def export_folder(self) -> None:
        trained = self.controller.trained
        folder = self.dialogs.folder(tr("Export model folder"), self._folder()) if trained is not None else ""
        if not folder:
            return
        written: list[Path] = []
        if self._wrote(tr("Cannot export"), lambda: written.extend(trained.export_folder(Path(folder)))):
            self.window.status(tr("wrote {files} to {folder}", files=", ".join(p.name for p in written), folder=folder),
                               8000)

    # -- scripts and portable formats -----------------------------------------------------------

    def export_script(self) -> None:
        """train.py and model.py: the same training, standalone, on one device or many with torchrun."""
        from builder.train.gan import GanRun
        from builder.train.script import write_training_script
        from builder.train.setup import SetupError
        from builder.train.start import prepare_run

        folder = self.dialogs.folder(tr("Export training script"), self._folder())
        if not folder:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        written: list[Path] = []
        try:
            run = prepare_run(self.document.project)  # reads the data once, to check it as a run would
            wrote = self._wrote(tr("Cannot export a training script"),
                                lambda: written.extend(write_training_script(run, Path(folder))))
        except SetupError as exc:
            wrote = False
            self.dialogs.error(tr("Cannot export a training script"), str(exc))
        finally:
            QGuiApplication.restoreOverrideCursor()
        files = ", ".join(p.name for p in written)
        if wrote and isinstance(run, GanRun):  # a GAN's script trains on one device
            self.window.status(tr("wrote {files} to {folder}: python train.py", files=files, folder=folder), 10000)
        elif wrote:
            self.window.status(tr("wrote {files} to {folder}: python train.py, or torchrun --nproc_per_node=N train.py",
                                  files=files, folder=folder), 10000)

    def export_portable(self, kind: str) -> None:
        """The trained model (or, before training, a freshly initialized one) as .pt2, ONNX or TorchScript."""
        from builder.blocks.check import check_model
        from builder.compile import build_classes, generate_code
        from builder.compile.portable import ExportError, export_onnx, export_pt2, export_torchscript

        trained = self.controller.trained
        name = trained.model_name if trained else (self.document.project.training.get("model") or self.session.model)
        report = check_model(self.document.project.model(name), self.document.project)
        if report.errors:
            self.dialogs.error(tr("Cannot export"), tr("The model {model} has problems to fix first.", model=name))
            return
        code = trained.code if trained else generate_code(self.document.project, [name])
        suffix, pattern, title = PORTABLE[kind]
        path = self.dialogs.save_file(tr("Export {format}", format=title), self._folder() / f"{code.class_names[name]}{suffix}",
                                      pattern)
        if not path:
            return
        model = build_classes(code)[name]()
        if trained is not None:
            model.load_state_dict(trained.state)
        shapes = [tuple(report.infos[i].shape) for i in report.inputs]
        names = code.attributes[name]
        try:
            if kind == "pt2":
                result = export_pt2(model, shapes, path)
            elif kind == "onnx":
                result = export_onnx(model, shapes, path, [names[i] for i in report.inputs],
                                     [names[o] for o in report.outputs])
            else:
                result = export_torchscript(model, shapes, path)
        except (ExportError, WriteError) as exc:
            self.dialogs.error(tr("Cannot export {format}", format=title), str(exc))
            return
        checked = (tr("checked with {checker}: max difference {difference}", checker=result.checker,
                      difference=f"{result.max_difference:.1g}") if result.max_difference is not None else result.checker)
        self.window.status(tr("wrote {path} with trained weights; {checked}", path=path, checked=checked) if trained else
                           tr("wrote {path} with untrained (freshly initialized) weights; {checked}", path=path,
                              checked=checked), 10000)

    # -- loading --------------------------------------------------------------------------------

    def load_weights(self) -> None:
        path = self.dialogs.open_file(tr("Load weights"), self._folder(), tr(WEIGHTS_FILES))
        if not path:
            return
        model = self.document.project.training.get("model") or self.session.model
        if self.load_file(Path(path), model):
            self.window.status(tr("loaded {file} into {model}", file=Path(path).name, model=model), 6000)

    def load_file(self, path: Path, model: str) -> bool:
        """The weights in the file as the model's current ones (exported, evaluated, tried); a file that does
        not fit is a dialog saying why."""
        from builder.train.checkpoint import CheckpointError
        from builder.train.predict import kept_classes
        from builder.train.trained import TrainedModel
        from builder.train.weights import load_for_model

        try:
            code, state = load_for_model(self.document.project, model, path)
        except CheckpointError as exc:
            self.dialogs.error(tr("Cannot load weights"), str(exc))
            return False
        self.controller.trained = TrainedModel(model, code, state, classes=kept_classes(Path(path)))
        self.update_actions()
        return True
