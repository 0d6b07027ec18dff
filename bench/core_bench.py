"""Core speed on a generated 1,000-node graph.

Prints the time of check + shape inference and of codegen + building the module, each against its
target, and each as a ratio against a baseline run in this same process:
- check: networkx's own topological sort of the same graph (the least any check must do);
- build: constructing the same torch modules directly, with no code generation.
Run: .venv/bin/python bench/core_bench.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import networkx as nx
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).parent))
from big_graphs import residual_net  # noqa: E402

from builder.blocks.check import check_model  # noqa: E402
from builder.compile import build_classes, generate_code  # noqa: E402
from builder.core.project import Project  # noqa: E402

NODES = 1000


def best_of(fn, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def direct_modules(report):
    """The baseline: build the layers by hand from the inferred channels, no source, no exec."""
    layers = nn.Module()
    for node_id in report.order:
        kind = report.type_of(node_id)
        p = report.infos[node_id].resolved
        if kind == "Conv2d":
            layer = nn.Conv2d(p["in_channels"], p["out_channels"], p["kernel_size"], padding=p["padding"], bias=False)
        elif kind == "BatchNorm2d":
            layer = nn.BatchNorm2d(p["num_features"])
        elif kind == "ReLU":
            layer = nn.ReLU()
        elif kind == "Linear":
            layer = nn.Linear(p["in_features"], p["out_features"])
        else:
            continue
        layers.add_module(node_id, layer)
    return layers


def main() -> None:
    graph = residual_net(NODES)
    project = Project(models=[graph])
    assert len(graph.nodes) == NODES
    report = check_model(graph)
    assert report.ok, report.errors[:3]

    check_best, check_median = best_of(lambda: check_model(graph))
    nx_graph = graph.to_networkx()
    sort_best, _ = best_of(lambda: list(nx.lexicographical_topological_sort(nx_graph)))
    build_best, build_median = best_of(lambda: build_classes(generate_code(project))["Big"](), repeats=5)
    direct_best, _ = best_of(lambda: direct_modules(report), repeats=5)
    codegen_best, _ = best_of(lambda: generate_code(project), repeats=5)

    print(f"graph: {NODES} nodes, {len(graph.edges)} edges, {report.total_params:,} parameters")
    print(f"check + shape inference: {check_best * 1e3:7.1f} ms (median {check_median * 1e3:.1f})  target < 50 ms  "
          f"ratio to a bare networkx topological sort: {check_best / sort_best:.1f}")
    print(f"codegen + build module : {build_best * 1e3:7.1f} ms (median {build_median * 1e3:.1f})  target < 500 ms  "
          f"ratio to building the same layers directly: {build_best / direct_best:.2f}")
    print(f"  of which codegen (incl. its check): {codegen_best * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
