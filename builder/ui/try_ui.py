"""The Try It page's workings (see try_panel.py): the user's image read as the data readers read it, run
through the current weights (a run's, loaded ones) in a job off the GUI thread; Grad-CAM on the chosen conv
layer; a GAN's generator drawing from a seed and the sliders."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QIODevice, QObject
from PySide6.QtWidgets import QApplication

from builder.core.i18n import tr
from builder.ui.inside_panel import IMAGE_FILES
from builder.ui.job import Jobs
from builder.ui.try_panel import SHOWN, TryPanel


class TryUI(QObject):
    def __init__(self, window: Any, controller: Any) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.panel = TryPanel()
        window.add_page(self.panel, tr("Try It"), "bottom")
        self.jobs = Jobs(self)
        self.sample: Any = None  # the image being tried, as the network sees it
        self._tried: tuple[Any, Any] | None = None  # (the weights, the Tried built from them)
        self.panel.image_dropped.connect(self.try_file)
        self.panel.open_requested.connect(self.open_image)
        self.panel.paste_requested.connect(self.paste)
        self.panel.cam_changed.connect(self.run)
        self.panel.generate_requested.connect(self.generate)
        self.panel.shown.connect(self._weights_changed)
        window.document.reset.connect(self.forget)
        window.document.edited.connect(lambda: setattr(self, "_tried", None))
        controller.finished.connect(lambda _event: self._weights_changed())
        window.add_shut_down(self.jobs.wait)
        self.forget()

    def forget(self) -> None:
        self.sample, self._tried = None, None
        self.panel.input.clear()
        self.panel.output.clear()
        self.panel.show_classes([])
        self._weights_changed()

    def _weights_changed(self) -> None:
        self._tried = None
        trained = self.controller.trained
        gan = trained is not None and hasattr(trained, "generate_one")
        self.panel.show_mode("generator" if gan else "image" if self._task() != "classification" else "classifier")
        if gan:
            latent = trained.gan.latent_shape
            count = 1
            for size in latent:
                count *= size
            self.panel.set_latent_pairs(min(count // 2, 32))
            self.panel.hint.setText(tr("Generate an image from a seed; each slider moves a pair of its latent values."))
        if self.sample is not None:
            self.run()

    def _task(self) -> str:
        return str(self.window.document.project.data.get("task", "classification"))

    # -- the image ------------------------------------------------------------------------------

    def open_image(self) -> None:
        path = self.window.dialogs.open_file(tr("An image to try"), self.window._folder(), tr(IMAGE_FILES))
        if path:
            self.try_file(path)

    def try_file(self, path: str) -> None:
        from builder.train.predict import PredictError, read_sample

        try:
            self.sample = read_sample(Path(path), self._input_shape())
        except (PredictError, ValueError) as exc:
            self.window.dialogs.error(tr("Cannot try the image"), str(exc))
            return
        self.panel.hint.setText(tr("{file}, as the network sees it", file=Path(path).name))
        self.run()

    def paste(self) -> None:
        from PIL import Image

        from builder.train.predict import PredictError, sample_from_image

        image = QApplication.clipboard().image()
        if image.isNull():
            self.window.status(tr("the clipboard holds no image"), 5000)
            return
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        try:
            self.sample = sample_from_image(Image.open(io.BytesIO(bytes(buffer.data()))), self._input_shape())
        except (PredictError, ValueError) as exc:
            self.window.dialogs.error(tr("Cannot try the image"), str(exc))
            return
        self.panel.hint.setText(tr("the pasted image, as the network sees it"))
        self.run()

    def _input_shape(self) -> tuple[int, ...]:
        from builder.blocks.check import check_model

        project = self.window.document.project
        name = self.controller.trained.model_name if self.controller.trained is not None else \
            project.training.get("model") or project.models[0].name
        report = check_model(project.model(name), project)
        if not report.ok:
            raise ValueError(tr("{model} has problems to fix first", model=name))
        return report.infos[report.inputs[0]].shape

    # -- running it -----------------------------------------------------------------------------

    def run(self) -> None:
        if self.sample is None:
            return
        sample = self.sample
        self.panel.show_input(sample.numpy())
        project = copy.deepcopy(self.window.document.project)
        trained = self.controller.trained
        tried = self._tried[1] if self._tried is not None and self._tried[0] is trained else None
        # Checked before the first answer listed the conv layers: "" asks for the last one.
        cam = self.panel.cam_layer.currentText() if self.panel.cam.isChecked() else None
        target = self.panel.cam_class.currentIndex() - 1  # -1: the predicted class
        self.jobs.run(lambda: _try(project, trained, tried, sample, cam, target),
                      lambda result: self._show(result, trained))

    def _show(self, result: Any, trained: Any) -> None:
        if isinstance(result, Exception):
            self.window.dialogs.error(tr("Cannot try the image"), str(result))
            return
        tried, outcome = result
        self._tried = (trained, tried)
        if outcome["kind"] == "classes":
            self.panel.show_classes(outcome["ranked"])
            names = tried.classes or [tr("class {number}", number=i) for i in range(len(outcome["probabilities"]))]
            self.panel.set_cam_choices(outcome["conv"], names)
            layer, chosen = outcome.get("cam", (None, 0))
            name = names[chosen] if 0 <= chosen < len(names) else tr("class {number}", number=chosen)
            self.panel.show_heat(outcome.get("heat"), tr("Grad-CAM: where {layer} finds {name}", layer=layer, name=name))
            best = outcome["ranked"][0]
            answer = f"{best.name} ({best.probability:.1%})"
            self.window.status(answer if trained is not None else
                               tr("{answer} (untrained: train the model first for real answers)", answer=answer), 8000)
        else:
            self.panel.show_output_image(outcome.get("image"), tr("the model's output"))
            self.window.status(tr("the model's output") if trained is not None else
                               tr("the model's output (untrained: train the model first for real answers)"), 8000)

    def generate(self) -> None:
        trained = self.controller.trained
        if trained is None or not hasattr(trained, "generate_one"):
            self.window.status(tr("Train the GAN first"), 5000)
            return
        seed, offsets = self.panel.seed.value(), self.panel.offsets()
        self.jobs.run(lambda: trained.generate_one(seed, offsets), lambda result: self._generated(result, seed))

    def _generated(self, result: Any, seed: int) -> None:
        if isinstance(result, Exception):
            self.window.dialogs.error(tr("Cannot generate"), str(result))
        else:
            self.panel.show_output_image(result, tr("seed {seed}", seed=seed))


def _try(project: Any, trained: Any, tried: Any, sample: Any, cam_layer: str | None, target: int) -> tuple[Any, dict]:
    """The model's answer for one sample: the top classes (and Grad-CAM on `cam_layer`, the last conv layer when
    it names none) for a classifier, the output image for a network that makes images."""
    from builder.blocks.check import check_model
    from builder.train.inside import conv_nodes, grad_cam, hooked_layers, overlay
    from builder.train.predict import top, tried_from

    tried = tried or tried_from(project, trained)
    if tried.task != "classification":
        tried.module.eval()
        import torch

        with torch.inference_mode():
            out = tried.module(sample.unsqueeze(0))[0].float().numpy()
        return tried, {"kind": "image", "image": out if out.ndim == 3 else None}
    probabilities = tried.probabilities(sample)
    report = check_model(project.model(tried.model_name), project)
    layers = hooked_layers(tried.module, tried.code, tried.model_name)
    conv = conv_nodes(report, layers)
    outcome = {"kind": "classes", "ranked": top(probabilities, SHOWN, tried.classes),
               "probabilities": probabilities.numpy(), "conv": conv}
    if cam_layer is not None and conv:
        layer = cam_layer if cam_layer in conv else conv[-1]
        heat, chosen, _p = grad_cam(tried.module, layers[layer], sample, None if target < 0 else target)
        outcome["cam"] = (layer, chosen)
        outcome["heat"] = overlay(sample.numpy(), heat)
    return tried, outcome
