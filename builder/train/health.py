"""Layer health while training: every N steps, per weighted node and ReLU-like node, what its output looks like
(mean, std, the share of exact zeros), how large its gradient is, and how much a step changes its weights
(|Δw| / |w|, about 1e-3 when the learning rate suits the layer).

Hooks are put on the layers for the sampled step only, and the figures stay on the device until they are read, so
the other steps cost nothing. Warnings come from the last few samples, each pinned to its node with its fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn

from builder.blocks.check import ModelReport
from builder.compile.codegen import GeneratedCode
from builder.core.i18n import tr
from builder.core.problems import Problem
from builder.train.inside import hooked_layers

ZERO_LIKE = ("ReLU", "ReLU6", "Hardtanh")  # blocks whose outputs are exactly 0 for a whole range of inputs
DEAD = 0.95  # share of exact zeros that makes a ReLU dead
VANISHING, EXPLODING = 1e-7, 1e2  # the norm of a node's weight gradients
UPDATE_LOW, UPDATE_HIGH = 1e-6, 1e-1  # update ratios far from ~1e-3
PERSISTENT = 3  # samples in a row before a warning
SAMPLED = 8  # samples of the batch whose outputs are measured


@dataclass(frozen=True)
class NodeHealth:
    mean: float | None = None  # of the node's output
    std: float | None = None
    zeros: float | None = None  # share of exact zeros, for ReLU-like nodes
    grad_norm: float | None = None  # of the node's weights' gradient
    update_ratio: float | None = None  # |Δw| / |w| of the step

    def to_dict(self) -> dict[str, float | None]:
        return {k: getattr(self, k) for k in ("mean", "std", "zeros", "grad_norm", "update_ratio")}


@dataclass(frozen=True)
class HealthSample:
    epoch: int
    step: int  # counted from the run's first step
    nodes: dict[str, NodeHealth]

    def to_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "step": self.step, "nodes": {n: h.to_dict() for n, h in self.nodes.items()}}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> HealthSample:
        nodes = {str(n): NodeHealth(**{k: (None if v is None else float(v)) for k, v in values.items()
                                       if k in NodeHealth.__dataclass_fields__})
                 for n, values in (raw.get("nodes") or {}).items() if isinstance(values, dict)}
        return cls(int(raw.get("epoch", 0)), int(raw.get("step", 0)), nodes)


COLUMNS = ["epoch", "step", "node", "mean", "std", "zeros", "grad_norm", "update_ratio"]


def csv_rows(sample: HealthSample) -> list[list[Any]]:
    return [[sample.epoch, sample.step, node, *(h.to_dict()[c] for c in COLUMNS[3:])]
            for node, h in sample.nodes.items()]


class HealthProbe:
    """Samples the model's layers on every `every`-th step: `before_forward`, `before_step` and `after_step`
    around that step's forward, backward and optimizer step; `sample` reads the figures."""

    def __init__(self, model: nn.Module, code: GeneratedCode, report: ModelReport, every: int) -> None:
        self.every = max(1, every)
        layers = hooked_layers(model, code, report.model.name)
        self.weighted = {n: m for n, m in layers.items() if any(p.requires_grad for p in m.parameters())}
        self.zero_like = {n: m for n, m in layers.items() if report.type_of(n) in ZERO_LIKE}
        self.watched = {n: layers[n] for n in report.order if n in self.weighted or n in self.zero_like}
        self._handles: list[Any] = []
        self._outputs: dict[str, tuple[torch.Tensor, ...]] = {}
        self._grads: dict[str, torch.Tensor] = {}
        self._before: dict[str, list[torch.Tensor]] = {}
        self._updates: dict[str, torch.Tensor] = {}

    def due(self, step: int) -> bool:
        return step % self.every == 0

    def before_forward(self) -> None:
        for node_id, module in self.watched.items():
            self._handles.append(module.register_forward_hook(self._keep(node_id)))

    def _keep(self, node_id: str) -> Any:
        zeros = node_id in self.zero_like

        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            out = output[0] if isinstance(output, (tuple, list)) else output
            if isinstance(out, torch.Tensor):
                out = out.detach()[:SAMPLED].float()  # a few samples of the batch tell the same, cheaper
                figures = (out.mean(), out.std() if out.numel() > 1 else out.new_zeros(()))
                self._outputs[node_id] = (*figures, (out == 0).float().mean()) if zeros else figures
        return hook

    def before_step(self) -> None:
        """After backward, before the optimizer's step: the gradients, and the weights the step will change."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        for node_id, module in self.weighted.items():
            params = [p for p in module.parameters() if p.requires_grad]
            grads = [p.grad.detach().float().norm() for p in params if p.grad is not None]
            if grads:
                self._grads[node_id] = torch.stack(grads).norm()
            self._before[node_id] = [p.detach().clone() for p in params]

    def after_step(self) -> None:
        for node_id, module in self.weighted.items():
            params = [p for p in module.parameters() if p.requires_grad]
            before = self._before.pop(node_id, None)
            if not before:
                continue
            change = torch.stack([(p.detach() - b).float().norm() for p, b in zip(params, before)]).norm()
            size = torch.stack([b.float().norm() for b in before]).norm()
            self._updates[node_id] = change / size.clamp_min(1e-12)

    def sample(self, epoch: int, step: int) -> HealthSample:
        """The figures of the sampled step, read off the device (this waits for it)."""
        nodes = {}
        for node_id in self.watched:
            out = self._outputs.get(node_id)
            grad, update = self._grads.get(node_id), self._updates.get(node_id)
            nodes[node_id] = NodeHealth(
                mean=_value(out[0]) if out else None, std=_value(out[1]) if out else None,
                zeros=_value(out[2]) if out and len(out) > 2 else None,
                grad_norm=_value(grad), update_ratio=_value(update))
        self._outputs, self._grads, self._updates = {}, {}, {}
        return HealthSample(epoch, step, nodes)


def _value(tensor: torch.Tensor | None) -> float | None:
    if tensor is None:
        return None
    value = float(tensor)
    return value if math.isfinite(value) else None


# -- warnings -------------------------------------------------------------------------------------

@dataclass
class HealthWarnings:
    """Problems found in the latest samples, pinned to their nodes, each with what to do."""

    samples: list[HealthSample] = field(default_factory=list)

    def add(self, sample: HealthSample) -> None:
        self.samples.append(sample)

    def problems(self) -> list[Problem]:
        recent = self.samples[-PERSISTENT:]
        if len(recent) < PERSISTENT:
            return []
        found = []
        for node_id in recent[-1].nodes:
            series = [s.nodes.get(node_id, NodeHealth()) for s in recent]
            message = _diagnose(series)
            if message:
                found.append(Problem(node_id, message, warning=True))
        return found


def _diagnose(series: list[NodeHealth]) -> str | None:
    def always(test) -> bool:
        return all(test(h) for h in series)

    if always(lambda h: h.zeros is not None and h.zeros >= DEAD):
        low, high = min(h.zeros for h in series), max(h.zeros for h in series)
        values = {"low": low, "high": high, "count": len(series)}
        if f"{low:.0%}" == f"{high:.0%}":
            return tr("dead ReLUs: {low:.0%} of its outputs are zero in each of the last {count} checks; lower the "
                      "learning rate, use LeakyReLU, or check the weights' initialization", **values)
        return tr("dead ReLUs: {low:.0%} to {high:.0%} of its outputs are zero in each of the last {count} checks; "
                  "lower the learning rate, use LeakyReLU, or check the weights' initialization", **values)
    if always(lambda h: h.grad_norm is not None and h.grad_norm < VANISHING):
        return tr("vanishing gradients: its weights barely receive any; add BatchNorm, a residual path, or use "
                  "ReLU-like activations instead of saturating ones")
    if always(lambda h: h.grad_norm is not None and h.grad_norm > EXPLODING):
        return tr("exploding gradients: its gradients are very large; lower the learning rate, add BatchNorm, or "
                  "clip the gradients")
    if always(lambda h: h.update_ratio is not None and h.update_ratio > UPDATE_HIGH):
        worst = max(h.update_ratio for h in series)
        return tr("each step changes its weights by up to {worst:.0%} (about {healthy} is healthy): the learning "
                  "rate is too high for it", worst=worst, healthy="0.1%")
    if always(lambda h: h.update_ratio is not None and h.update_ratio < UPDATE_LOW):
        return tr("its weights barely change from step to step (under 0.0001%): the learning rate is too low for "
                  "it, or its gradients vanish")
    return None
