"""The Inside page's workings: which node and sample to show, and where the output is computed (see
inside_panel.py). The window is never kept waiting: validation samples are read, and outputs computed, in a
job of their own, or by the training thread between two steps while a run goes on."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject

from builder.core.i18n import tr
from builder.ui.inside_panel import IMAGE_FILES, NO_NODE, InsidePanel, describe_sample, own_image_name, sample_tensor
from builder.ui.job import Jobs


class InsideUI(QObject):
    def __init__(self, window: Any, controller: Any) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.panel = InsidePanel()
        window.add_page(self.panel, tr("Inside"), "bottom")
        self.jobs = Jobs(self)
        self.samples: list[Any] | None = None  # the validation samples, as the network sees them
        self.index = 0
        self.own: tuple[str, Any] | None = None  # (name, sample) of the user's image, when shown
        self._tried: tuple[Any, Any] | None = None  # (the weights it was built from, Tried): rebuilt when they change
        self._asked = 0  # the key of the latest question to the training thread: older answers are dropped
        self.panel.previous.clicked.connect(lambda: self.step(-1))
        self.panel.next.clicked.connect(lambda: self.step(1))
        self.panel.sample_requested.connect(self.pick_image)
        self.panel.shown.connect(self.refresh)
        window.scene.selectionChanged.connect(self.refresh)
        window.document.reset.connect(self.forget)
        window.document.edited.connect(self._on_edited)
        controller.answered.connect(self._on_answer)
        controller.epoch_ended.connect(lambda _event: self.refresh())
        controller.finished.connect(lambda _event: self.refresh())
        window.add_shut_down(self.jobs.wait)

    # -- what to show ---------------------------------------------------------------------------

    def node(self) -> str | None:
        if not shiboken6.isValid(self.window.scene) or not shiboken6.isValid(self.panel):
            return None  # the window is being torn down and the scene empties itself
        selected = self.window.scene.selected_node_ids()
        return selected[0] if len(selected) == 1 else None

    def trained_model(self) -> str:
        trained = self.controller.trained
        if trained is not None:
            return trained.model_name
        return self.window.document.project.training.get("model") or self.window.document.project.models[0].name

    def forget(self) -> None:
        self.samples, self.index, self.own, self._tried = None, 0, None, None
        self.panel.show_message(tr(NO_NODE))
        self.panel.set_samples(0, 0, "")

    def _on_edited(self) -> None:
        self._tried = None  # the graph changed: the model is built again from its new code
        self.refresh()

    def step(self, by: int) -> None:
        if self.samples:
            self.own = None
            self.index = (self.index + by) % len(self.samples)
            self.refresh()

    def pick_image(self) -> None:
        from builder.train.predict import PredictError, read_sample

        path = self.window.dialogs.open_file(tr("An image to look at"), self.window._folder(), tr(IMAGE_FILES))
        if not path:
            return
        shape = self._input_shape()
        try:
            self.own = (own_image_name(path), read_sample(Path(path), shape))
        except PredictError as exc:
            self.window.dialogs.error(tr("Cannot read the image"), str(exc))
            return
        self.refresh()

    def _input_shape(self) -> tuple[int, ...]:
        from builder.blocks.check import check_model

        project = self.window.document.project
        report = check_model(project.model(self.trained_model()), project)
        return report.infos[report.inputs[0]].shape

    # -- computing ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the selected node's output for the chosen sample (computed off the GUI thread)."""
        node = self.node()
        session = self.window.session
        if node is None or not self.panel.isVisible():
            return  # nothing to show, or nobody looking: computed when the page is shown
        if session.model != self.trained_model() or session.trail:
            self.panel.show_message(tr("The Inside page shows the blocks of the trained model, {trained}; {node} is in "
                                       "{model}.", trained=self.trained_model(), node=node, model=session.model))
            return
        if session.report is None or not session.report.ok:
            self.panel.show_message(tr("Fix the model's problems first: its outputs cannot be computed yet."))
            return
        if self.samples is None and self.own is None:
            self._load_samples()
            return
        sample = self.own[1] if self.own else sample_tensor(self.samples[self.index])
        where = describe_sample(self.index, len(self.samples or []), self.own[0] if self.own else None)
        self.panel.set_samples(self.index, len(self.samples or []), where)
        self.panel.show_waiting(node)
        if self.controller.running:
            self._asked += 1
            key = ("inside", self._asked, node, where)
            if self.controller.ask(key, lambda trainer: _outputs_during_training(trainer, sample, node)):
                return
        project = copy.deepcopy(self.window.document.project)
        trained = self.controller.trained
        tried = self._tried[1] if self._tried is not None and self._tried[0] is trained else None
        self.jobs.run(lambda: _outputs(project, trained, tried, sample, node),
                      lambda result: self._show(result, node, where, trained))

    def _load_samples(self) -> None:
        from builder.train.setup import preview_data

        self.panel.show_message(tr("reading a few validation samples…"))
        project = copy.deepcopy(self.window.document.project)
        self.jobs.run(lambda: preview_data(project), self._samples_loaded)

    def _samples_loaded(self, result: Any) -> None:
        if isinstance(result, Exception):
            problems = getattr(result, "problems", None) or [str(result)]
            self.panel.show_message(tr("No validation samples: {problem}. Use Your Image… instead.", problem=problems[0]))
            self.samples = []
            return
        self.samples = list(result.inputs)
        self.index = min(self.index, max(0, len(self.samples) - 1))
        if self.samples:
            self.refresh()

    def _show(self, result: Any, node: str, where: str, trained: Any) -> None:
        if isinstance(result, Exception):
            self.panel.show_message(f"{node}: {result}")
            return
        outputs, tried = result
        self._tried = (trained, tried)
        if node != self.node():
            return  # another node was selected meanwhile: its own job follows
        if node not in outputs:
            self.panel.show_message(tr("{node} is computed inside forward (it has no layer to watch): select the block "
                                       "before or after it", node=node))
            return
        self.panel.show_output(outputs[node], self._weights_text(where, trained))

    def _on_answer(self, answer: Any) -> None:
        key = answer.key
        if not (isinstance(key, tuple) and key[0] == "inside") or key[1] != self._asked:
            return
        _kind, _number, node, where = key
        if isinstance(answer.value, Exception):
            self.panel.show_message(f"{node}: {answer.value}")
        elif node in answer.value:
            self.panel.show_output(answer.value[node], tr("{sample} (the weights as they are learning)", sample=where))
        else:
            self.panel.show_message(tr("{node} is computed inside forward (it has no layer to watch)", node=node))

    def _weights_text(self, where: str, trained: Any) -> str:
        return (tr("{sample} (trained weights)", sample=where) if trained is not None else
                tr("{sample} (untrained: fresh weights)", sample=where))


def _outputs(project: Any, trained: Any, tried: Any, sample: Any, node: str) -> tuple[dict, Any]:
    from builder.train.inside import node_outputs
    from builder.train.predict import tried_from

    tried = tried or tried_from(project, trained)
    return node_outputs(tried.module, tried.code, tried.model_name, sample, [node]), tried


def _outputs_during_training(trainer: Any, sample: Any, node: str) -> dict:
    from builder.train.inside import node_outputs

    return node_outputs(trainer.model, trainer.run.code, trainer.run.model_name, sample.to(trainer.device), [node])
