"""A trained example and images of its classes, for the tests that look inside a trained network."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from builder.cli import main
from builder.core.project import save_project
from builder.core.templates import EXAMPLE, load_template
from builder.train.data.synthetic import SHAPE_NAMES, make_shapes

EPOCHS = 6


def train_example(folder: Path) -> tuple[Path, Path]:
    project = load_template(EXAMPLE)
    project.training["epochs"] = EPOCHS
    path = folder / "example.json"
    save_project(project, path)
    assert main(["train", str(path), "--out", str(folder / "run")]) == 0
    return path, folder / "run" / "ShapesNet.safetensors"


def shape_images(folder: Path, count: int = 8, size: int = 28, seed: int = 11) -> list[tuple[Path, str]]:
    """PNG files of clean shapes (not the training data's, drawn the same way), with their class names."""
    images, _masks, labels = make_shapes(count, 1, size, size, 0.0, seed)
    found = []
    for i in range(count):
        path = folder / f"shape{i}.png"
        Image.fromarray((images[i, 0].numpy() * 255).round().astype("uint8")).save(path)
        found.append((path, SHAPE_NAMES[int(labels[i])]))
    return found
