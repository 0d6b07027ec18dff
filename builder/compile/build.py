"""Building module classes by executing the generated source: what runs is what is exported."""

from __future__ import annotations

import hashlib
import linecache
from typing import Any

import torch.nn as nn

from builder.compile.codegen import GeneratedCode, generate_code
from builder.core.project import Project


def build_classes(code: GeneratedCode) -> dict[str, type[nn.Module]]:
    """Execute the source once; return {model name: class}.

    The source is registered with linecache under a stable name, so a traceback from inside
    the model shows the generated line.
    """
    digest = hashlib.sha1(code.source.encode("utf-8")).hexdigest()[:12]
    filename = f"<nn-builder-generated-{digest}>"
    linecache.cache[filename] = (len(code.source), None, code.source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": "nn_builder_generated"}
    exec(compile(code.source, filename, "exec"), namespace)
    return {model: namespace[cls] for model, cls in code.class_names.items()}


def build_model(project: Project, model_name: str | None = None) -> nn.Module:
    """A fresh instance of one model of the project (the first when no name is given)."""
    name = model_name or project.models[0].name
    code = generate_code(project, [name])
    return build_classes(code)[name]()
