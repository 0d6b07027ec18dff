"""Synthetic data made on the spot: small, learnable sets for trying a model without any files.

"shapes" draws circles, squares, triangles and crosses into images; "blobs" scatters points
around a few centres. The same spec and seed always give the same tensors, so runs compare.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from builder.core.i18n import tr
from builder.core.shapes import format_shape
from builder.train.data.base import DataError, LoadedData, SourceRequest

SHAPE_NAMES = ["circle", "square", "triangle", "cross"]  # class names: data (kept with the weights), not translated
NAMES = ("shapes", "blobs")


def load(request: SourceRequest) -> LoadedData:
    spec = request.spec
    name = spec.get("name", "shapes")
    if name not in NAMES:
        raise DataError(tr("synthetic name must be one of {names}; got {value}", names=", ".join(NAMES),
                           value=_show(name)))
    samples = _whole(spec, "samples", 2000, minimum=1)
    noise = _number(spec, "noise", 0.1)
    seed = _whole(spec, "seed", request.seed, minimum=None)
    if name == "shapes":
        if spec.get("classes") is not None:
            raise DataError(tr("synthetic 'classes' is for name 'blobs' only; shapes always has 4 classes"))
        return _shapes(request, samples, noise, seed)
    classes = _whole(spec, "classes", 3, minimum=2)
    return _blobs(request, samples, noise, seed, classes)


def _shapes(request: SourceRequest, n: int, noise: float, seed: int) -> LoadedData:
    shape = request.input_shape
    if len(shape) != 3 or shape[1] < 8 or shape[2] < 8:
        raise DataError(tr("synthetic shapes needs an image Input (channels, height, width) of at least 8×8; the "
                           "model's Input takes {shape}", shape=format_shape(shape)))
    c, h, w = shape
    if request.task == "regression" and tuple(request.output_shape) != (1, h, w):
        raise DataError(tr("synthetic shapes regression targets are the shape masks, 1×{height}×{width}, but the "
                           "model's Output gives {shape}", height=h, width=w, shape=format_shape(request.output_shape)))
    x, mask, labels = make_shapes(n, c, h, w, noise, seed)
    y = {"classification": labels, "regression": mask, "reconstruction": None}[request.task]
    values = {"count": n, "shape": format_shape(shape)}
    if request.task == "classification":
        description = tr("synthetic shapes: {count:,} images {shape}, 4 classes", **values)
    elif request.task == "regression":
        description = tr("synthetic shapes: {count:,} images {shape}, shape masks as targets", **values)
    else:
        description = tr("synthetic shapes: {count:,} images {shape}, no labels", **values)
    return LoadedData(
        dataset=None,
        tensors=(x, y),
        classes=list(SHAPE_NAMES) if request.task == "classification" else None,
        description=description,
    )


def make_shapes(n: int, c: int, h: int, w: int, noise: float, seed: int) -> tuple[torch.Tensor, ...]:
    """(images (n, c, h, w) in [0, 1], clean masks (n, 1, h, w), labels (n,) int64), all seeded.

    Each shape is drawn from a signed distance (negative inside, in pixels) so edges are
    anti-aliased and outlines have a real stroke width, at any image size.
    """
    g = torch.Generator().manual_seed(seed)

    def rand(*size: int) -> torch.Tensor:
        return torch.rand(size, generator=g)

    labels = torch.randint(0, len(SHAPE_NAMES), (n,), generator=g)
    side = min(h, w)
    r = (0.4 + 0.3 * rand(n)) * side / 2  # half the size: the shape spans 40% to 70% of the image
    cx = r + rand(n) * (w - 1 - 2 * r)
    cy = r + rand(n) * (h - 1 - 2 * r)
    filled = rand(n) < 0.5
    stroke = 1.5 + rand(n) * torch.clamp(0.35 * r - 1.5, min=0.3)  # outline width in pixels
    bar = torch.maximum(r * (0.22 + 0.16 * rand(n)), torch.tensor(1.0))  # half-width of a cross's bars
    if c == 1:
        fg = 0.6 + 0.4 * rand(n, 1)
        bg = 0.2 * rand(n, 1)
    else:
        fg = rand(n, c) + 0.05
        fg = fg / fg.amax(dim=1, keepdim=True) * (0.6 + 0.4 * rand(n, 1))  # a colour with one bright channel
        bg = 0.2 * rand(n, c)
    grain = torch.randn((n, c, h, w), generator=g) * noise

    ys = torch.arange(h, dtype=torch.float32).view(1, h, 1)
    xs = torch.arange(w, dtype=torch.float32).view(1, 1, w)
    dist = torch.empty(n, h, w)
    for label in range(len(SHAPE_NAMES)):
        idx = (labels == label).nonzero().squeeze(1)
        if len(idx):
            dx = xs - cx[idx].view(-1, 1, 1)
            dy = ys - cy[idx].view(-1, 1, 1)
            dist[idx] = _DISTANCES[label](dx, dy, r[idx].view(-1, 1, 1), bar[idx].view(-1, 1, 1))
    # Outlines keep only a band of `stroke` pixels just inside the edge.
    band = (dist + stroke.view(-1, 1, 1) / 2).abs() - stroke.view(-1, 1, 1) / 2
    dist = torch.where(filled.view(-1, 1, 1), dist, band)
    mask = torch.clamp(0.5 - dist, 0.0, 1.0).unsqueeze(1)

    x = bg.view(n, c, 1, 1) + (fg - bg).view(n, c, 1, 1) * mask + grain
    return x.clamp_(0.0, 1.0), mask, labels


def _circle(dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor, bar: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(dx * dx + dy * dy) - r


def _square(dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor, bar: torch.Tensor) -> torch.Tensor:
    side = r * 0.9  # a square as wide as a circle looks bigger; this brings their areas closer
    return torch.maximum(dx.abs(), dy.abs()) - side


def _triangle(dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor, bar: torch.Tensor) -> torch.Tensor:
    # Apex at (0, -r), base from (-r, r) to (r, r): the largest of the three edges' distances.
    s = math.sqrt(5.0)
    return torch.maximum(torch.maximum((2 * dx - dy - r) / s, (-2 * dx - dy - r) / s), dy - r)


def _cross(dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor, bar: torch.Tensor) -> torch.Tensor:
    ax, ay = dx.abs(), dy.abs()
    across = torch.maximum(ax - r, ay - bar)
    down = torch.maximum(ax - bar, ay - r)
    return torch.minimum(across, down)


_DISTANCES = (_circle, _square, _triangle, _cross)


def _blobs(request: SourceRequest, n: int, noise: float, seed: int, classes: int) -> LoadedData:
    shape = request.input_shape
    if len(shape) != 1:
        raise DataError(tr("synthetic blobs needs a vector Input (features,); the model's Input takes {shape}",
                           shape=format_shape(shape)))
    if request.task == "regression" and len(request.output_shape) != 1:
        raise DataError(tr("synthetic blobs regression targets are vectors (k,), but the model's Output gives {shape}",
                           shape=format_shape(request.output_shape)))
    features = shape[0]
    g = torch.Generator().manual_seed(seed)
    centres = (torch.rand((classes, features), generator=g) * 2 - 1) * 5
    labels = torch.randint(0, classes, (n,), generator=g)
    clean = centres[labels] + torch.randn((n, features), generator=g)
    x = clean + torch.randn((n, features), generator=g) * noise
    y: torch.Tensor | None = None
    if request.task == "classification":
        y = labels
    elif request.task == "regression":
        # A fixed linear map per seed, drawn apart so it does not shift with the sample count.
        k = request.output_shape[0]
        weights = torch.randn((features, k), generator=torch.Generator().manual_seed(seed + 7919)) / math.sqrt(features)
        y = clean @ weights
    values = {"count": n, "features": features}
    if request.task == "classification":
        description = tr("synthetic blobs: {count:,} points in {features} dims, {clusters} clusters", clusters=classes,
                         **values)
    elif request.task == "regression":
        description = tr("synthetic blobs: {count:,} points in {features} dims, linear targets", **values)
    else:
        description = tr("synthetic blobs: {count:,} points in {features} dims, no labels", **values)
    return LoadedData(
        dataset=None,
        tensors=(x, y),
        # Class names are data (kept with the weights), not translated.
        classes=[f"cluster {i}" for i in range(classes)] if request.task == "classification" else None,
        description=description,
    )


def _whole(spec: dict[str, Any], key: str, default: int, minimum: int | None) -> int:
    value = default if spec.get(key) is None else spec[key]  # null: the default, as for a key left out
    if not isinstance(value, int) or isinstance(value, bool):
        raise DataError(tr("synthetic '{key}' must be a whole number, got {value}", key=key, value=_show(value)))
    if minimum is not None and value < minimum:
        raise DataError(tr("synthetic '{key}' must be at least {minimum}, got {value}", key=key, minimum=minimum,
                           value=value))
    return value


def _number(spec: dict[str, Any], key: str, default: float) -> float:
    value = default if spec.get(key) is None else spec[key]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise DataError(tr("synthetic '{key}' must be a number of at least 0, got {value}", key=key,
                           value=_show(value)))
    return float(value)


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)
