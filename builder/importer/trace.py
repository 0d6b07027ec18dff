"""Tracing one module with torch.fx into nodes of blocks and uses of its own sub-modules.

The tracer stops at every module that is a block (nn.Conv2d) and at every module of its own (a user's
BasicBlock, a container inside a container): those become uses, traced in turn with the inputs they got in
one real forward pass, so the structure a person wrote is the structure the project has. A container that
is an attribute of the module (`self.layer1 = nn.Sequential(...)`) is traced through: its children become
nodes named `layer1.0`, `layer1.1`, which the generated code writes back as an nn.Sequential, keeping the
state_dict keys.
"""

from __future__ import annotations

import ast
import contextlib
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.fx as fx
import torch.nn as nn

from builder.blocks.registry import BLOCKS
from builder.core.fragments import fresh_id
from builder.core.i18n import tr
from builder.importer.mapping import IDENTITY, Call, Unmapped, call_block, is_block_module, module_block
from builder.importer.source import ImportRefusal

CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
_SPLITS = (torch.chunk, torch.split, torch.Tensor.chunk, torch.Tensor.split, "chunk", "split")
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)\n(?P<code>[^\n]*)')


@dataclass
class RawNode:
    """A node of one traced instance, before its module definitions are named."""

    id: str
    type: str  # a block type, or USE
    params: dict[str, Any]
    sources: list[tuple[str, int]]  # (node id, output port) wired into each input port, in order
    use: Instance | None = None


USE = "<use>"


@dataclass
class Instance:
    """One module as it is used in the network: its own graph, traced with the inputs it was called with."""

    module: nn.Module
    path: str  # where it sits in the imported network, for messages (`layer1.0`); "" for the top
    args: dict[str, Any]  # what its class's __init__ was given
    nodes: list[RawNode] = field(default_factory=list)
    outputs: list[tuple[str, int]] = field(default_factory=list)
    definition: str = ""  # the project model it becomes, once definitions are named
    use_params: dict[str, Any] = field(default_factory=dict)

    @property
    def class_name(self) -> str:
        return type(self.module).__name__

    def height(self) -> int:
        inner = [n.use.height() for n in self.nodes if n.use is not None]
        return 1 + max(inner, default=0)


class _Tracer(fx.Tracer):
    def __init__(self, root: nn.Module) -> None:
        super().__init__()
        self.record_stack_traces = True
        self._root = root

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        if qualname == _Packed.INNER:
            return False  # the module a _Packed hands its lists to: traced through, it is the one imported
        if is_block_module(m):
            return True
        if not isinstance(m, CONTAINERS):
            return True  # a module of its own: a use
        # A container traced through gives nodes `name.0`, `name.1`: one level of numbered layers under a name
        # that is an identifier is what the code writes back (nn.Sequential, nn.ModuleList); anything deeper,
        # or with named layers, is a module of its own.
        parent, _, name = qualname.rpartition(".")
        numbered = all(key.isdigit() for key, _ in m.named_children())
        return bool(parent) or not name.isidentifier() or not numbered


class _Shapes(fx.Interpreter):
    """Runs the traced graph on real inputs, keeping each node's output shape (a list for several)."""

    def __init__(self, gm: fx.GraphModule, original: nn.Module, called: dict[int, list[tuple]]) -> None:
        super().__init__(gm)
        self.original = original
        self.called = called

    def call_module(self, target: str, args: tuple, kwargs: dict[str, Any]) -> Any:
        module = self.fetch_attr(target)
        if not is_block_module(module):  # a module of its own: traced next, with what it gets here
            self.called.setdefault(id(module), []).append(args)
        return super().call_module(target, args, kwargs)

    def fetch_attr(self, target: str) -> Any:
        # From the module itself: a layer named like an attribute of GraphModule (`self.code`) is the layer.
        value: Any = self.original
        for atom in target.split("."):
            value = getattr(value, atom)
        return value

    def run_node(self, n: fx.Node) -> Any:
        result = super().run_node(n)
        if isinstance(result, torch.Tensor):
            n.meta["shape"] = tuple(result.shape)
        elif isinstance(result, (tuple, list)) and result and all(isinstance(r, torch.Tensor) for r in result):
            n.meta["shapes"] = [tuple(r.shape) for r in result]
        elif _is_number(result):
            n.meta["value"] = result if not isinstance(result, (tuple, list)) else list(result)
        return result


def _is_number(value: Any) -> bool:
    """A size, a padding worked out from sizes (`x2.size(2) - x1.size(2)`): fixed at what tracing saw."""
    if isinstance(value, (tuple, list)):
        return all(_is_number(v) for v in value)
    return isinstance(value, (int, float, bool))


class FakeRunFailed(Exception):
    """The traced graph did not run on fake tensors (shapes without values); it is run on real ones instead."""


class Tracing:
    """Traces the instances of one import, top down, each module with the inputs it got where it is called.

    The graphs are run on fake tensors (`mode`, torch's FakeTensorMode): shapes without values, so that finding
    every node's shape costs no computation; None runs them on real tensors."""

    def __init__(self, path: Path, init_args: dict[int, dict[str, Any]], mode: Any = None) -> None:
        self.path = path
        self.init_args = init_args
        self.mode = mode
        self.called: dict[int, list[tuple]] = {}  # id(module) -> the inputs of each of its calls

    def instance(self, module: nn.Module, inputs: list[torch.Tensor], where: str,
                 packing: list[int | None] | None = None) -> Instance:
        """`packing`: how the inputs go into the module's arguments when some are lists of tensors (see _Packed)."""
        found = Instance(module, where, self.init_args.get(id(module), {}))
        gm = self._traced(module, where, packing)
        try:
            with torch.no_grad(), (self.mode if self.mode is not None else contextlib.nullcontext()):
                _Shapes(gm, module, self.called).run(*inputs)
        except ImportRefusal:
            raise
        except Exception as exc:
            if self.mode is not None:
                raise FakeRunFailed() from exc
            raise ImportRefusal(tr("{place}: running {module} on the traced shapes raised {error_type}: {error}",
                                   place=self._place(exc), module=where or type(module).__name__,
                                   error_type=type(exc).__name__, error=exc)) from None
        _Graph(self, found, gm).build()
        return found

    def _traced(self, module: nn.Module, where: str, packing: list[int | None] | None = None) -> fx.GraphModule:
        root = module if packing is None else _Packed.taking(module, packing)
        tracer = _Tracer(root)
        try:
            graph = tracer.trace(root)
            if packing is not None:
                _unpacked(graph)
        except fx.proxy.TraceError as exc:
            place, code = self._frame(exc)
            raise ImportRefusal(tr("{place}: `{code}` decides with a value of the data, which a graph of blocks "
                                   "cannot: the branch depends on the data. Take both ways or decide outside forward "
                                   "(a constructor argument)", place=place, code=code)) from None
        except Exception as exc:
            place, code = self._frame(exc)
            raise ImportRefusal(tr("{place}: `{code}` cannot be traced by torch.fx ({error_type}: {error})",
                                   place=place, code=code, error_type=type(exc).__name__, error=exc)) from None
        return fx.GraphModule(module, graph)

    def _frame(self, exc: BaseException) -> tuple[str, str]:
        import traceback

        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _in_torch(f.filename)]
        if not frames:
            return str(self.path), "forward"
        frame = frames[-1]
        return f"{frame.filename}:{frame.lineno}", (frame.line or "").strip()

    def _place(self, exc: BaseException) -> str:
        return self._frame(exc)[0]

    def inputs_of(self, module: nn.Module, call: int, where: str,
                  place: str) -> tuple[list[torch.Tensor], list[int | None] | None]:
        """The tensors the module's `call`-th call got in the forward pass, in order, and how they were packed
        into its arguments where some argument is a list of tensors (a dense layer takes all before it)."""
        calls = self.called.get(id(module), [])
        if call >= len(calls):
            raise ImportRefusal(tr("{place}: {module} was not called in the forward pass as it was traced",
                                   place=place, module=where))
        tensors: list[torch.Tensor] = []
        packing: list[int | None] = []
        for arg in calls[call]:
            if isinstance(arg, torch.Tensor):
                tensors.append(arg)
                packing.append(None)
            elif isinstance(arg, (list, tuple)) and arg and all(isinstance(a, torch.Tensor) for a in arg):
                tensors.extend(arg)
                packing.append(len(arg))
            else:
                raise ImportRefusal(tr("{place}: {module} is called with values that are not tensors; a module "
                                       "used as a block takes tensors (or lists of them) only", place=place,
                                       module=where))
        return tensors, packing if any(p is not None for p in packing) else None


class _Packed(nn.Module):
    """A module called with lists of tensors (`layer(features)`), seen as one taking each tensor on its own:
    forward(x0, x1, ...) packs them back into the lists and calls the module, which is traced through. Its
    nodes are the module's own once `_unpacked` drops the `inner.` their names start with."""

    INNER = "inner"

    def __init__(self, inner: nn.Module, packing: list[int | None]) -> None:
        super().__init__()
        self.inner = inner
        self.packing = packing

    @classmethod
    def taking(cls, inner: nn.Module, packing: list[int | None]) -> _Packed:
        """One of a class whose forward has an argument per tensor: torch.fx makes an input of each argument
        of the class's forward."""
        names = ", ".join(f"x{i}" for i in range(sum(1 if p is None else p for p in packing)))
        namespace: dict[str, Any] = {}
        exec(f"def forward(self, {names}):\n    return self.inner(*self.pack([{names}]))", namespace)
        return type(cls.__name__, (cls,), {"forward": namespace["forward"]})(inner, packing)

    def pack(self, tensors: list[Any]) -> list[Any]:
        args, at = [], 0
        for count in self.packing:
            args.append(tensors[at] if count is None else list(tensors[at:at + count]))
            at += 1 if count is None else count
        return args


def _unpacked(graph: fx.Graph) -> None:
    prefix = _Packed.INNER + "."
    for node in graph.nodes:
        if node.op in ("call_module", "get_attr") and isinstance(node.target, str):
            node.target = node.target.removeprefix(prefix)


def _in_torch(filename: str) -> bool:
    parts = Path(filename).parts
    return "torch" in parts and ("site-packages" in parts or "dist-packages" in parts) or filename.startswith("<")


class _Graph:
    """One traced module's nodes as blocks and uses."""

    def __init__(self, tracing: Tracing, instance: Instance, gm: fx.GraphModule) -> None:
        self.tracing = tracing
        self.instance = instance
        self.gm = gm
        self.where: dict[str, tuple[str, int, str, int]] = {}  # fx node name -> file, line, code, order on line
        self.alias: dict[fx.Node, tuple[str, int]] = {}  # fx node -> (node id, output port) holding its value
        self.shapes: dict[tuple[str, int], tuple[int, ...]] = {}  # (node id, output port) -> its shape
        self.taken: set[str] = set()
        self.module_calls: dict[str, int] = {}  # module path -> how often forward calls it
        self.calls_seen: dict[str, int] = {}
        self.pieces: dict[fx.Node, tuple[tuple[str, int], int, list[tuple[int, int]]]] = {}  # a split's runs

    def build(self) -> None:
        nodes = list(self.gm.graph.nodes)
        self._locate(nodes)
        names = self._names(nodes)
        for node in nodes:
            self._add(node, names)

    # -- where each node came from, and the names the code gave values ----------------------------

    def _locate(self, nodes: list[fx.Node]) -> None:
        last_on_line: dict[tuple[str, int], fx.Node] = {}
        for node in nodes:
            frames = list(_FRAME.finditer(node.stack_trace or ""))
            frames = [f for f in frames if not _in_torch(f["file"])]
            if frames:
                frame = frames[-1]
                key = (frame["file"], int(frame["line"]))
                self.where[node.name] = (*key, frame["code"].strip(), 0)
                last_on_line[key] = node
        self._last_on_line = {n.name for n in last_on_line.values()}

    def _place(self, node: fx.Node) -> str:
        found = self.where.get(node.name)
        return f"{found[0]}:{found[1]}" if found else str(self.tracing.path)

    def _code(self, node: fx.Node) -> str:
        found = self.where.get(node.name)
        return found[2] if found else node.format_node()

    def _names(self, nodes: list[fx.Node]) -> dict[str, str]:
        """Node ids: a module's attribute path (`layer1.0`), so the weights keep their names; for a function
        or an operator, the variable the code assigned it to when it has one of its own (`res = a + b`),
        else the name torch.fx gave it."""
        names: dict[str, str] = {}
        for node in nodes:
            if node.op == "placeholder":
                names[node.name] = node.target
            elif node.op == "call_module":
                count = self.module_calls.get(node.target, 0)
                self.module_calls[node.target] = count + 1
                names[node.name] = node.target if count == 0 else f"{node.target}_{count}"
        self.taken = set(names.values())
        return names

    def _function_id(self, node: fx.Node, type_name: str) -> str:
        """A function's or an operator's node: the variable the code assigned it to when it has one of its own
        (`res = a + b`), else named as the editor names a new block (relu1, relu2...)."""
        wanted = self._assigned(node)
        if wanted is None or wanted in self.taken:
            wanted = fresh_id(BLOCKS[type_name].prefix, self.taken)
        self.taken.add(wanted)
        return wanted

    def _assigned(self, node: fx.Node) -> str | None:
        if node.name not in self._last_on_line:
            return None
        code = self.where[node.name][2]
        try:
            statement = ast.parse(code).body[0]
        except (SyntaxError, IndexError):
            return None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name):
            return statement.targets[0].id
        return None

    # -- nodes ------------------------------------------------------------------------------------

    def _add(self, node: fx.Node, names: dict[str, str]) -> None:
        instance = self.instance
        if node.op == "placeholder":
            if "shape" not in node.meta:
                return  # an argument that is not a tensor, left at its default
            shape = list(node.meta["shape"][1:])
            instance.nodes.append(RawNode(names[node.name], "Input", {"shape": shape}, []))
            self._hold(node, names[node.name])
        elif node.op == "get_attr":
            if node.users:
                raise ImportRefusal(tr("{place}: `{code}` uses self.{attribute}, a tensor of the module, directly; "
                                       "no block holds a free tensor (wrap it in a layer)", place=self._place(node),
                                       code=self._code(node), attribute=node.target))
        elif node.op == "output":
            self._outputs(node)
        elif node.op == "call_module":
            self._module(node, names[node.name])
        else:
            self._call(node)

    def _sources(self, node: fx.Node) -> list[tuple[str, int]]:
        found: list[tuple[str, int]] = []

        def visit(value: Any) -> None:
            if isinstance(value, fx.Node):
                if value in self.alias:
                    found.append(self.alias[value])
            elif isinstance(value, (tuple, list)):
                for item in value:
                    visit(item)
            elif isinstance(value, dict):
                for item in value.values():
                    visit(item)

        visit(node.args)
        visit(node.kwargs)
        return found

    def _call_of(self, node: fx.Node, module: nn.Module | None = None) -> Call:
        sources = self._sources(node)
        ins = [self._shape_of(s) for s in sources]
        return Call(node, node.args, dict(node.kwargs), ins, tuple(node.meta.get("shape", ())), module)

    def _shape_of(self, source: tuple[str, int]) -> tuple[int, ...]:
        return self.shapes[source]

    def _hold(self, node: fx.Node, node_id: str) -> None:
        """The node's value is the output of node `node_id` (each output, for a module with several)."""
        self.alias[node] = (node_id, 0)
        if "shape" in node.meta:
            self.shapes[(node_id, 0)] = node.meta["shape"]
        for port, shape in enumerate(node.meta.get("shapes", [])):
            self.shapes[(node_id, port)] = shape

    def _module(self, node: fx.Node, node_id: str) -> None:
        module = self.instance.module.get_submodule(node.target)
        if self.module_calls.get(node.target, 0) > 1 and any(p.numel() for p in module.parameters()):
            raise ImportRefusal(tr("{place}: self.{attribute} is called more than once: its weights are shared "
                                   "between the calls, which blocks cannot do; use one layer per call",
                                   place=self._place(node), attribute=node.target))
        if is_block_module(module):
            call = self._call_of(node, module)
            try:
                type_name, params = module_block(module, call)
            except Unmapped as exc:
                raise ImportRefusal(exc.sentence(self._place(node), f"self.{node.target} ({type(module).__name__})")
                                    ) from None
            self._append(node, node_id, type_name, params)
            return
        where = f"{self.instance.path}.{node.target}" if self.instance.path else node.target
        original = module
        call = self.calls_seen.get(node.target, 0)
        self.calls_seen[node.target] = call + 1
        inputs, packing = self.tracing.inputs_of(original, call, where, self._place(node))
        inner = self.tracing.instance(original, inputs, where, packing)
        self.instance.nodes.append(RawNode(node_id, USE, {}, self._sources(node), inner))
        self._hold(node, node_id)

    def _call(self, node: fx.Node) -> None:
        if node.target is operator.getitem and isinstance(node.args[0], fx.Node) and "shapes" in node.args[0].meta:
            if node.args[0] in self.pieces and isinstance(node.args[1], int):
                self._piece(node, *self.pieces[node.args[0]])  # `x1, x2 = x.chunk(2, dim=1)`: a Slice each
                return
            source = self.alias.get(node.args[0])
            if source is not None and isinstance(node.args[1], int):
                self.alias[node] = (source[0], node.args[1])  # one output of a module with several
                return
        if "shape" not in node.meta:
            if "shapes" in node.meta:
                if node.target in _SPLITS and self._sources(node):
                    self._split(node)
                    return
                raise ImportRefusal(tr("{place}: `{code}` makes several tensors; no block does that (a chunk or a "
                                       "split is taken apart as Slices)", place=self._place(node),
                                       code=self._code(node)))
            return  # a number or a size (`x.size(0)`): what uses it reads the shapes that tracing saw
        if not self._sources(node):
            raise ImportRefusal(tr("{place}: `{code}` makes a new tensor inside forward; blocks only transform their "
                                   "inputs", place=self._place(node), code=self._code(node)))
        try:
            type_name, params = call_block(self._call_of(node))
        except Unmapped as exc:
            raise ImportRefusal(exc.sentence(self._place(node), f"`{self._code(node)}`")) from None
        if type_name == IDENTITY:
            self.alias[node] = self._sources(node)[0]
            return
        self._append(node, self._function_id(node, type_name), type_name, params)

    def _split(self, node: fx.Node) -> None:
        """torch.chunk / torch.split: the pieces, as runs along a dim, each taken by a Slice where it is used."""
        shapes = node.meta["shapes"]
        dim = node.kwargs.get("dim", node.args[2] if len(node.args) > 2 else 0)
        dim = dim if dim >= 0 else len(shapes[0]) + dim
        if dim == 0:
            raise ImportRefusal(tr("{place}: `{code}` splits the batch; blocks keep it whole", place=self._place(node),
                                   code=self._code(node)))
        runs, start = [], 0
        for shape in shapes:
            runs.append((start, shape[dim]))
            start += shape[dim]
        self.pieces[node] = (self._sources(node)[0], dim, runs)

    def _piece(self, node: fx.Node, source: tuple[str, int], dim: int, runs: list[tuple[int, int]]) -> None:
        start, length = runs[node.args[1]]
        node_id = self._function_id(node, "Slice")
        self.instance.nodes.append(RawNode(node_id, "Slice", {"dim": dim, "start": start, "length": length},
                                           [source]))
        self._hold(node, node_id)

    def _append(self, node: fx.Node, node_id: str, type_name: str, params: dict[str, Any]) -> None:
        self.instance.nodes.append(RawNode(node_id, type_name, params, self._sources(node)))
        self._hold(node, node_id)

    def _outputs(self, node: fx.Node) -> None:
        value = node.args[0]
        values = list(value) if isinstance(value, (tuple, list)) else [value]
        for item in values:
            if not (isinstance(item, fx.Node) and item in self.alias):
                raise ImportRefusal(tr("{path}: forward of {module} returns something other than tensors (a dict, a "
                                       "number); blocks return tensors", path=self.tracing.path,
                                       module=self.instance.path or self.instance.class_name))
            self.instance.outputs.append(self.alias[item])
