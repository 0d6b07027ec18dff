"""Structural checks that need no block knowledge: wires, ports, cycles, order."""

from graphs import model

from builder.core.graph import Edge
from builder.core.structure import analyze_structure


def test_order_is_topological_with_document_order_breaking_ties():
    graph = model("G", [("c", "T"), ("a", "T"), ("b", "T")], [("a", "b")])
    assert analyze_structure(graph).order == ["c", "a", "b"]


def test_dangling_wire_and_doubled_port():
    graph = model("G", [("a", "T"), ("b", "T"), ("c", "T")], [("a", "c", 0), ("b", "c", 0)])
    graph.edges.append(Edge("ghost", "c", 1))
    messages = [(p.node, p.message) for p in analyze_structure(graph).problems]
    assert ("c", "input port 0 has two wires, from 'a' and 'b'") in messages
    assert ("c", "a wire ghost → c refers to a missing node 'ghost'") in messages


def test_nodes_on_a_cycle_are_named_and_left_out_of_the_order():
    graph = model("G", [("x", "T"), ("a", "T"), ("b", "T"), ("after", "T"), ("loop", "T")],
                  [("x", "a"), ("a", "b"), ("b", "a", 1), ("b", "after"), ("loop", "loop")])
    structure = analyze_structure(graph)
    cycles = [p for p in structure.problems if "cycle" in p.message]
    assert [(p.node, p.related) for p in cycles] == [("a", ("b",)), ("loop", ())]
    assert "a → b → a" in cycles[0].message
    assert structure.order == ["x", "after"]
