"""Warnings before training, each with its fix. They are shown, never silently applied."""

from __future__ import annotations

from builder.blocks.check import ModelReport
from builder.core.i18n import tr
from builder.core.problems import Problem

_CONVS = ("Conv2d", "ConvTranspose2d", "DepthwiseConv2d", "GroupConv2d")
_NORMS = ("BatchNorm2d", "BatchNorm1d")


def training_lints(report: ModelReport, loss: str, task: str) -> list[Problem]:
    found: list[Problem] = []
    for output in report.outputs:
        last = report.sources[output][0]
        kind = report.type_of(last)
        if loss == "CrossEntropyLoss" and kind in ("Softmax", "LogSoftmax"):
            found.append(_warn(last, tr("{block} right before CrossEntropyLoss: the loss applies softmax itself, so "
                                        "training sees it twice and learns slowly. Remove '{node}' for training "
                                        "(apply softmax when predicting).", block=kind, node=last)))
        if loss == "BCEWithLogitsLoss" and kind == "Sigmoid":
            found.append(_warn(last, tr("Sigmoid right before BCEWithLogitsLoss: the loss applies the sigmoid itself. "
                                        "Remove '{node}', or use BCELoss.", node=last)))
        if loss == "BCELoss" and kind != "Sigmoid":
            found.append(_warn(last, tr("BCELoss needs probabilities in [0, 1] but the model does not end in a "
                                        "Sigmoid: add a Sigmoid before the Output, or use BCEWithLogitsLoss.")))
    if task == "classification" and loss in ("MSELoss", "L1Loss"):
        found.append(_warn(None, tr("{loss} on class labels: the labels are compared as one-hot vectors, which "
                                    "learns classes poorly. Use CrossEntropyLoss for classification.", loss=loss)))
    for node in report.order:
        if node not in report.live or report.type_of(node) not in _CONVS:
            continue
        info = report.infos[node]
        consumers = report.consumers.get(node, [])
        if info.resolved.get("bias") and consumers and all(report.type_of(c) in _NORMS for c in consumers):
            found.append(_warn(node, tr("'{node}' has a bias right before BatchNorm '{norm}', which subtracts it "
                                        "again: set bias to false to save the parameters.", node=node,
                                        norm=consumers[0])))
    return found


def _warn(node: str | None, message: str) -> Problem:
    return Problem(node, message, warning=True)
