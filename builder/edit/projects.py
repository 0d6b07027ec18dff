"""New projects and models: an Input and an Output, ready for blocks in between."""

from __future__ import annotations

from builder.core.graph import ModelGraph, Node
from builder.core.project import Project


def blank_model(name: str) -> ModelGraph:
    return ModelGraph(name, [Node("x", "Input", {"shape": [1, 28, 28]}, {"pos": [0.0, 0.0]}),
                             Node("out", "Output", {}, {"pos": [600.0, 0.0]})])


def new_project() -> Project:
    """A fresh project: one model named Net with an Input and an Output."""
    return Project(models=[blank_model("Net")])
