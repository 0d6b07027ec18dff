"""Looking inside a network: what each node outputs for one sample, and where a classifier looks (Grad-CAM).

Everything runs on the module built from the generated code, with forward hooks on the layers that the code
gives each node (`code.attributes`): nodes computed inside forward itself (an Add, a Concat) have no layer to
hook and are left out. Hooks are removed when done; outputs are copied to the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from builder.blocks.check import ModelReport
from builder.compile.codegen import GeneratedCode
from builder.core.i18n import N_, tr

MAX_CHANNELS = 64  # channels drawn per node: a 512-channel map is 512 tiles nobody reads


@dataclass(frozen=True)
class NodeOutput:
    node: str
    values: np.ndarray  # one sample's output: C×H×W, or a vector

    @property
    def is_image(self) -> bool:
        return self.values.ndim == 3

    def channel_stats(self) -> list[tuple[float, float, float]]:
        """(min, max, mean) per channel (per value, for a vector)."""
        flat = self.values.reshape(self.values.shape[0], -1) if self.is_image else self.values.reshape(-1, 1)
        return [(float(c.min()), float(c.max()), float(c.mean())) for c in flat]

    def summary(self) -> str:
        v = self.values
        zeros = float((v == 0).mean())
        return tr("{node}: {shape}, min {min:.4g}, max {max:.4g}, mean {mean:.4g}, std {std:.4g}, zeros {zeros:.0%}",
                  node=self.node, shape="×".join(map(str, v.shape)), min=v.min(), max=v.max(), mean=v.mean(),
                  std=v.std(), zeros=zeros)

    def details(self) -> str:
        """The summary, then one line per channel (per value, for a vector): what the grid's tiles hold."""
        row = N_("channel {index}: min {min:.4g}, max {max:.4g}, mean {mean:.4g}") if self.is_image else \
            N_("value {index}: min {min:.4g}, max {max:.4g}, mean {mean:.4g}")
        rows = [tr(row, index=i, min=lo, max=hi, mean=mean) for i, (lo, hi, mean) in enumerate(self.channel_stats())]
        return "\n".join([self.summary(), *rows]) + "\n"


def hooked_layers(model: nn.Module, code: GeneratedCode, model_name: str) -> dict[str, nn.Module]:
    """Node id -> the layer the generated code made for it (the nodes that have one)."""
    found = {}
    for node_id, attribute in code.attributes[model_name].items():
        try:
            found[node_id] = model.get_submodule(attribute)
        except AttributeError:
            continue  # a node computed inside forward (Add, Concat), an Input, an Output
    return found


def node_outputs(model: nn.Module, code: GeneratedCode, model_name: str, sample: torch.Tensor,
                 nodes: list[str] | None = None) -> dict[str, NodeOutput]:
    """Each hooked node's output for one sample (a batch of one), in eval mode; the mode is restored after.
    `nodes` limits the capture (one selected node, say)."""
    layers = hooked_layers(model, code, model_name)
    wanted = [n for n in (nodes if nodes is not None else layers) if n in layers]
    captured: dict[str, NodeOutput] = {}

    def keep(node_id: str):
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            tensor = output[0] if isinstance(output, (tuple, list)) else output
            if isinstance(tensor, torch.Tensor):
                captured[node_id] = NodeOutput(node_id, tensor[0].detach().float().cpu().numpy())
        return hook

    handles = [layers[n].register_forward_hook(keep(n)) for n in wanted]
    was_training = model.training
    try:
        model.eval()
        with torch.inference_mode():
            model(sample.unsqueeze(0))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return {n: captured[n] for n in wanted if n in captured}


# -- pictures -------------------------------------------------------------------------------------

# A perceptually ordered dark-to-bright map (viridis' anchor colours), so brighter always means larger.
_ANCHORS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float32)


def colour_map(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (any shape) -> uint8 RGB of that shape + (3,)."""
    position = np.clip(values, 0, 1) * (len(_ANCHORS) - 1)
    low = np.floor(position).astype(int).clip(0, len(_ANCHORS) - 2)
    t = (position - low)[..., None]
    return (_ANCHORS[low] * (1 - t) + _ANCHORS[low + 1] * t).round().astype(np.uint8)


def normalized(channel: np.ndarray) -> np.ndarray:
    """One channel scaled to [0, 1] by its own min and max (a constant channel is all 0)."""
    low, high = float(channel.min()), float(channel.max())
    return (channel - low) / (high - low) if high > low else np.zeros_like(channel)


def channel_grid(output: NodeOutput, scale: int = 1, padding: int = 2, columns: int | None = None) -> np.ndarray:
    """An image-shaped output as one RGB picture: each channel a tile, scaled by its own range and coloured;
    `columns` tiles a row (default: as many as rows, a square)."""
    channels = output.values[:MAX_CHANNELS]
    count, h, w = channels.shape
    columns = min(count, columns) if columns else int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    th, tw = h * scale, w * scale
    grid = np.full((rows * (th + padding) + padding, columns * (tw + padding) + padding, 3), 24, dtype=np.uint8)
    for index, channel in enumerate(channels):
        r, c = divmod(index, columns)
        tile = colour_map(normalized(channel))
        if scale > 1:
            tile = tile.repeat(scale, axis=0).repeat(scale, axis=1)
        top, left = padding + r * (th + padding), padding + c * (tw + padding)
        grid[top:top + th, left:left + tw] = tile
    return grid


# -- Grad-CAM -------------------------------------------------------------------------------------

class CamError(Exception):
    """Grad-CAM cannot be computed for this node or model; the message says why."""


def grad_cam(model: nn.Module, layer: nn.Module, sample: torch.Tensor, target: int | None = None
             ) -> tuple[np.ndarray, int, np.ndarray]:
    """Where the classifier looks (Selvaraju et al., 2017): the layer's feature maps weighted by the mean gradient
    of the class score over each map, summed, kept positive and scaled to the input's height and width, in [0, 1].
    Returns (heat map H×W, the class explained: `target` or the predicted one, the class probabilities)."""
    kept: dict[str, torch.Tensor] = {}

    def forward_hook(_m: nn.Module, _i: Any, output: torch.Tensor) -> None:
        kept["maps"] = output
        output.register_hook(lambda grad: kept.__setitem__("grads", grad))

    handle = layer.register_forward_hook(forward_hook)
    was_training = model.training
    try:
        model.eval()
        with torch.enable_grad():
            x = sample.unsqueeze(0).requires_grad_(False)
            scores = model(x)
            if scores.dim() != 2:
                raise CamError(tr("Grad-CAM explains a classifier: the model's output must be one score per class"))
            chosen = int(scores.argmax(1)) if target is None else target
            if not 0 <= chosen < scores.shape[1]:
                raise CamError(tr("class {label} does not exist: the model has {count} outputs", label=chosen,
                                  count=scores.shape[1]))
            model.zero_grad(set_to_none=True)
            scores[0, chosen].backward()
    finally:
        model.train(was_training)
        handle.remove()
    maps, grads = kept.get("maps"), kept.get("grads")
    if maps is None or maps.dim() != 4:
        raise CamError(tr("Grad-CAM needs a layer with feature maps (C×H×W), such as a Conv2d"))
    if grads is None:
        raise CamError(tr("the class score does not depend on this layer"))
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * maps).sum(1, keepdim=True)).detach()
    cam = torch.nn.functional.interpolate(cam, size=tuple(sample.shape[-2:]), mode="bilinear", align_corners=False)
    heat = cam[0, 0].numpy()
    heat = heat / heat.max() if heat.max() > 0 else heat
    probabilities = torch.softmax(scores.detach()[0], 0).numpy()
    return heat, chosen, probabilities


def conv_nodes(report: ModelReport, layers: dict[str, nn.Module]) -> list[str]:
    """The nodes Grad-CAM can explain with, in graph order: hooked layers whose output is a feature map."""
    return [n for n in report.order if n in layers and len(report.infos[n].shape) == 3
            and isinstance(layers[n], (nn.Conv2d, nn.ConvTranspose2d))]


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The heat map coloured over a C×H×W image in [0, 1] (grey or RGB): uint8 H×W×3."""
    base = image[:3] if image.shape[0] >= 3 else np.repeat(image[:1], 3, axis=0)
    base = (np.clip(base.transpose(1, 2, 0), 0, 1) * 255).astype(np.float32)
    return (base * (1 - alpha) + colour_map(heat).astype(np.float32) * alpha).round().astype(np.uint8)
