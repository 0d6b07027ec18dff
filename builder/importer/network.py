"""Importing an nn.Module: trace it, name its modules, and prove the result computes the same.

`import_network` is the whole import in this process; the window runs it in a separate one (the file is
the user's code). The project is only returned once the code generated from it builds a module with the
original's state_dict keys that, given the original's weights, computes the same outputs in eval mode.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch._subclasses.fake_tensor import FakeTensorMode

from builder.compile import CompileError, build_classes, generate_code
from builder.core.i18n import tr, trn
from builder.core.layout import layered_positions
from builder.core.project import Project
from builder.importer.definitions import Definitions
from builder.importer.source import ImportRefusal, Loaded, load_module, where
from builder.importer.trace import FakeRunFailed, Instance, Tracing
from builder.train.checkpoint import CheckpointError, load_into, load_weights

BATCH = 2  # samples traced: more than one, so that a size read off the batch is told from the others
TOLERANCE = 1e-4  # relative to the output's largest value: float32 sums in another order


@dataclass
class Imported:
    project: Project
    state: dict[str, torch.Tensor]  # the weights, under the names of the generated code (the original's)
    max_difference: float  # between the original's and the generated module's outputs, eval mode
    seconds: float


def import_network(path: str | Path, class_name: str | None, input_shapes: list[list[int]],
                   kwargs: dict[str, Any] | None = None, weights: str | Path | None = None) -> Imported:
    """`input_shapes`: one sample's shape per input of forward, without the batch."""
    start = time.perf_counter()
    path = Path(path)
    loaded = load_module(path, class_name, kwargs or {})
    return import_loaded(loaded, input_shapes, weights, path, start)


def import_loaded(loaded: Loaded, input_shapes: list[list[int]], weights: str | Path | None = None,
                  path: Path | None = None, start: float | None = None) -> Imported:
    """The import of a module already constructed (source.construct); `path`: the file it came from."""
    start = time.perf_counter() if start is None else start
    path = path or Path(type(loaded.module).__module__.replace(".", "/") + ".py")
    module = loaded.module
    if weights is not None:
        try:
            load_into(module, load_weights(weights), str(weights))
        except CheckpointError as exc:
            raise ImportRefusal(str(exc)) from None
    module.eval()
    # One sample through the real network (the reference the import must match), and a batch of fake tensors
    # through the traced graphs, for the shapes alone.
    samples = [torch.randn(1, *shape, generator=torch.Generator().manual_seed(i))
               for i, shape in enumerate(input_shapes)]
    reference = _forward(module, samples, path, input_shapes)
    top = _traced(loaded, input_shapes, path)
    models = Definitions(top).build({loaded.class_name})
    project = Project(models=models)
    _lay_out(project)
    state = {k: v.detach().clone() for k, v in module.state_dict().items()}
    difference = _verify(project, loaded, state, samples, reference)
    return Imported(project, state, difference, time.perf_counter() - start)


def _forward(module: nn.Module, samples: list[torch.Tensor], path: Path, shapes: list[list[int]]) -> Any:
    """The module's output on the samples; a network that does not run on them says so with its line."""
    try:
        with torch.no_grad():
            return module(*samples)
    except Exception as exc:
        given = [" × ".join(map(str, shape)) for shape in shapes]
        listed = given[0]
        for shape in given[1:]:  # one shape per input: "3 × 32 × 32 and 10"
            listed = tr("{shapes} and {shape}", shapes=listed, shape=shape)
        raise ImportRefusal(tr("{place}: the network does not run on samples of {shapes} ({error_type}: {error}); "
                               "check --input-shape (one per input of forward)", place=where(exc, path), shapes=listed,
                               error_type=type(exc).__name__, error=exc)) from None


def _traced(loaded: Loaded, shapes: list[list[int]], path: Path) -> Instance:
    """The network traced into instances of its modules, on fake tensors where they run (else on real ones)."""
    mode = FakeTensorMode(allow_non_fake_inputs=True)
    with mode:
        fakes = [torch.empty(BATCH, *shape) for shape in shapes]
    try:
        return Tracing(path, loaded.init_args, mode).instance(loaded.module, fakes, "")
    except FakeRunFailed:
        examples = [torch.randn(BATCH, *shape, generator=torch.Generator().manual_seed(i))
                    for i, shape in enumerate(shapes)]
        return Tracing(path, loaded.init_args).instance(loaded.module, examples, "")


def _lay_out(project: Project) -> None:
    modules = {m.name: m for m in project.models}
    for model in project.models:
        positions = layered_positions(model, modules=modules)
        for node in model.nodes:
            node.ui = {"pos": list(positions[node.id])}


def _verify(project: Project, loaded: Loaded, state: dict[str, torch.Tensor], examples: list[torch.Tensor],
            reference: Any) -> float:
    """The generated module has the original's weight names and, with its weights, the same outputs."""
    top = project.models[0].name
    try:
        code = generate_code(project, [top])
    except CompileError as exc:
        model, problem = exc.problems[0]
        raise ImportRefusal(tr("the imported graph does not check ({model}: {problem}); this is a fault of the "
                               "import, please report it with the file", model=model, problem=problem)) from None
    generated = build_classes(code)[top]()
    own = set(generated.state_dict())
    if own != set(state):
        missing, extra = sorted(set(state) - own), sorted(own - set(state))
        values = {"name": loaded.class_name, "original": ", ".join(missing[:5]) or tr("none"),
                  "imported": ", ".join(extra[:5]) or tr("none")}
        if missing and not extra:
            raise ImportRefusal(trn("{name}: the imported code would not keep the weights' names (original only: "
                                    "{original}; imported only: {imported}); {original} is not used by forward",
                                    "{name}: the imported code would not keep the weights' names (original only: "
                                    "{original}; imported only: {imported}); {original} are not used by forward",
                                    len(missing), **values))
        raise ImportRefusal(tr("{name}: the imported code would not keep the weights' names (original only: "
                               "{original}; imported only: {imported})", **values))
    generated.load_state_dict(state)
    generated.eval()
    with torch.no_grad():
        output = generated(*examples)
    return _difference(reference, output, loaded.class_name)


def _difference(reference: Any, output: Any, name: str) -> float:
    pairs = list(zip(reference, output)) if isinstance(reference, (tuple, list)) else [(reference, output)]
    worst = 0.0
    for a, b in pairs:
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or a.shape != b.shape:
            raise ImportRefusal(tr("{name}: the imported module's output differs in shape from the original's; this "
                                   "is a fault of the import, please report it with the file", name=name))
        scale = max(1.0, float(a.abs().max()))
        difference = float((a - b).abs().max())
        if not difference <= TOLERANCE * scale:
            raise ImportRefusal(tr("{name}: the imported module computes other outputs than the original (largest "
                                   "difference {difference:.3g}); this is a fault of the import, please report it "
                                   "with the file", name=name, difference=difference))
        worst = max(worst, difference)
    return worst
