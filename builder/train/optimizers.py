"""The optimizer registry: each torch optimizer with its main options, declared once.

Options sit in the project's `training` section under torch's own names (momentum, betas...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from builder.blocks.params import BOOL, FLOAT, FLOAT_PAIR, Param
from builder.core.i18n import N_


def _weight_decay(default: float = 0.0) -> Param:
    return Param("weight_decay", FLOAT, N_("Pulls weights toward zero each step (L2 penalty) to fight overfitting."),
                 default=default, min=0.0)


def _eps(default: float) -> Param:
    return Param("eps", FLOAT, N_("Tiny number added to the denominator for numerical stability."),
                 default=default, min=0.0, min_exclusive=True)


def _momentum() -> Param:
    return Param("momentum", FLOAT, N_("Keeps moving in the recent direction; 0.9 is common, 0 turns it off."),
                 default=0.0, min=0.0, max=1.0)


def _betas() -> Param:
    return Param("betas", FLOAT_PAIR,
                 N_("Decay rates of the running gradient mean and square; GANs often use [0.5, 0.999]."),
                 default=(0.9, 0.999), min=0.0, max=1.0, axes=("beta1", "beta2"), pair_only=True)


def _with_momentum(options: dict[str, Any]) -> int:
    return 1 if options.get("momentum", 0.0) > 0 else 0


@dataclass(frozen=True)
class OptimizerSpec:
    name: str  # torch.optim class name
    description: str
    options: tuple[Param, ...]
    # Tensors of the weights' size it keeps per weight tensor (Adam: the gradient's mean and square), by its options
    state: Callable[[dict[str, Any]], int] = lambda _options: 0

    def make(self, parameters: Any, lr: float, options: dict[str, Any]) -> torch.optim.Optimizer:
        cls = getattr(torch.optim, self.name)
        return cls(parameters, lr=lr, **options)

    def option(self, name: str) -> Param | None:
        return next((p for p in self.options if p.name == name), None)


OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (
        OptimizerSpec("SGD", N_("Plain stochastic gradient descent, optionally with momentum: simple and well "
                                "understood."), (
            _momentum(), _weight_decay(),
            Param("nesterov", BOOL, N_("Nesterov momentum: looks ahead before stepping; needs momentum > 0."),
                  default=False),
        ), state=_with_momentum),
        OptimizerSpec("RMSprop", N_("Scales each step by a running average of squared gradients."), (
            Param("alpha", FLOAT, N_("Smoothing of the squared-gradient average."), default=0.99, min=0.0, max=1.0),
            _eps(1e-8), _momentum(), _weight_decay(),
        ), state=lambda options: 1 + _with_momentum(options)),
        OptimizerSpec("Adam", N_("Adaptive steps per weight from gradient averages: the usual first choice."), (
            _betas(), _eps(1e-8), _weight_decay(),
        ), state=lambda _options: 2),
        OptimizerSpec("AdamW", N_("Adam with decoupled weight decay: better regularization, common for larger "
                                  "models."), (
            _betas(), _eps(1e-8), _weight_decay(0.01),
        ), state=lambda _options: 2),
        OptimizerSpec("Adagrad", N_("Steps shrink for weights that have had large gradients; suits sparse data."), (
            _eps(1e-10), _weight_decay(),
        ), state=lambda _options: 1),
        OptimizerSpec("Adadelta", N_("Adagrad without its ever-shrinking steps; usually run with lr = 1.0."), (
            Param("rho", FLOAT, N_("Smoothing of the running averages."), default=0.9, min=0.0, max=1.0),
            _eps(1e-6), _weight_decay(),
        ), state=lambda _options: 2),
    )
}

# Every option some optimizer takes: a key of the training section that belongs to an optimizer.
OPTION_NAMES = sorted({p.name for spec in OPTIMIZERS.values() for p in spec.options})
