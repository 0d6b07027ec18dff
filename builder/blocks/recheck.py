"""Checking a model again after an edit of parameters only, redoing no more than the edit can reach.

A full check of a 2,000-node model takes tens of milliseconds, most of it spent on nodes the edit cannot
change. After an edit that only changes parameters (the wiring, the node list, the types and the other
models as they were), the nodes replaced since the last check are prepared again, and their shapes are
inferred again in graph order; a node's consumers follow only where its output shapes changed. Everything
else (order, liveness, the other nodes' results and problems) is taken from the last check. The result is
the report the full check would give (tests/blocks/test_recheck.py compares them over random edits).
"""

from __future__ import annotations

import heapq

from builder.blocks.check import CheckState, ModelReport, NodeInfo, model_frame
from builder.core.graph import ModelGraph
from builder.core.i18n import language
from builder.core.project import Project

# Checks of modules kept for reuse (one per module, input shapes and values) before a fresh check starts over.
MEMO_LIMIT = 512


def recheck(previous: ModelReport, model: ModelGraph, project: Project | None = None) -> ModelReport | None:
    """What `check_model(model, project)` gives, made from `previous`, the last check of the same graph object,
    edited since; None where that cannot be done (an edit of more than parameters), and the full check must be
    made."""
    state = previous.state
    if state is None or model is not previous.model or state.stack != (model.name,):
        return None  # not a model's own check (a module's, as one of its uses sees it)
    if not _same_frame(state, model) or not _same_project(state, model, project):
        return None
    changed = [index for index, (node, seen) in enumerate(zip(model.nodes, state.nodes)) if node is not seen]
    if any(model.nodes[i].type != state.nodes[i].type for i in changed):
        return None  # another block or module: ports, liveness and "no Input" may change
    if len(state.checker.memo) > MEMO_LIMIT:
        return None  # a fresh check starts a fresh memo: edits of a use's values would grow it without end
    report = _copy(previous, model)
    checker, outer = state.checker, state.checker.stack
    checker.stack = list(state.stack)  # a use of the model itself is still found
    try:
        _redo(report, changed)
    finally:
        checker.stack = outer
    return report


def _redo(report: ModelReport, changed: list[int]) -> None:
    state = report.state
    assert state is not None
    checker, model = state.checker, report.model
    position = state.position(report.order)
    pending: list[int] = []
    for index in changed:
        node = model.nodes[index]
        state.prepared[index] = checker.prepare(report, state, node)
        if node.id in position:
            pending.append(position[node.id])
    heapq.heapify(pending)
    queued = set(pending)
    while pending:  # graph order: a node is redone after every source it has that was redone
        node_id = report.order[heapq.heappop(pending)]
        before = report.infos.pop(node_id, None)
        report.inner.pop(node_id, None)
        state.inferred[node_id] = checker.infer(report, state, node_id)
        if _same_outputs(before, report.infos.get(node_id)):
            continue  # what its consumers are given is unchanged: they stay as they were
        for consumer in report.consumers.get(node_id, ()):
            at = position.get(consumer)
            if at is not None and at not in queued:
                queued.add(at)
                heapq.heappush(pending, at)
    state.nodes = list(model.nodes)
    report.problems = state.problems(report.order)


def _same_frame(state: CheckState, model: ModelGraph) -> bool:
    """The same nodes (ids, in the same places), the same wires and the same declared parameters as checked.
    Wires are frozen and only ever inserted or removed, so the same objects in the same places are the same
    wiring; a node may have been replaced by an edit (found in recheck), but not moved or renamed."""
    if len(model.nodes) != len(state.nodes) or len(model.edges) != len(state.edges):
        return False
    if model.params != state.params or any(a is not b for a, b in zip(model.edges, state.edges)):
        return False
    if any(a.id != b.id for a, b in zip(model.nodes, state.nodes)):
        return False
    return len(state.ports) == len(model.nodes)  # two nodes sharing an id: their results are not kept apart


def _same_project(state: CheckState, model: ModelGraph, project: Project | None) -> bool:
    """The other models as the last check read them (the checks of modules kept for reuse are theirs), and the
    problems in the same language."""
    checker = state.checker
    models = {m.name: m for m in project.models} if project is not None else {}
    if checker.language != language() or models.keys() != checker.frames.keys():
        return False
    for name, other in models.items():
        frame = checker.frames[name]
        if other is not model and (frame[0] is not other or frame[1:] != model_frame(other)[1:]):
            return False
    return True


def _copy(previous: ModelReport, model: ModelGraph) -> ModelReport:
    """A new report (views may hold the previous one) sharing what an edit of parameters cannot change."""
    old = previous.state
    assert old is not None
    state = CheckState(old.checker, old.nodes, old.edges, old.params, old.ports, old.given, dict(old.specs),
                       dict(old.resolved), old.head, list(old.prepared), old.middle, dict(old.inferred), old.tail,
                       old.stack, old.order_position)
    return ModelReport(model, previous.order, previous.sources, previous.consumers, dict(previous.infos),
                       previous.live, [], previous.source_ports, dict(previous.uses), previous.args,
                       dict(previous.inner), state)


def _same_outputs(before: NodeInfo | None, after: NodeInfo | None) -> bool:
    if before is None or after is None:
        return before is after
    return before.outputs == after.outputs
