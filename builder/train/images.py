"""Grids of images as PNG files (generated samples, previews), with Pillow."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from builder.core.atomic import atomic_write_bytes


def grid_array(images: torch.Tensor | np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """(N, C, H, W) floats in [0, 1] -> one H×W×C uint8 array (C = 1 or 3), tiles separated by padding."""
    images = torch.as_tensor(images).detach().float().clamp(0, 1).cpu()
    n, c, h, w = images.shape
    if c not in (1, 3):
        images = images[:, :1]
        c = 1
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = np.zeros((rows * (h + padding) + padding, columns * (w + padding) + padding, c), dtype=np.uint8)
    pixels = (images.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    for index in range(n):
        r, col = divmod(index, columns)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[top:top + h, left:left + w] = pixels[index]
    return grid


def save_grid(images: torch.Tensor | np.ndarray, path: str | os.PathLike, columns: int | None = None, scale: int = 2) -> Path:
    """Write the grid as a PNG (atomically), each pixel `scale` times larger so small images are visible."""
    array = grid_array(images, columns)
    image = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
