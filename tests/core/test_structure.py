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


def test_order_is_networkx_lexicographical_sort_on_random_graphs():
    """The order made without networkx is the one networkx's sort gives, wires doubled and cycles included."""
    import random

    import networkx as nx

    from builder.core.graph import ModelGraph, Node

    rng = random.Random(7)
    for _ in range(300):
        count = rng.randint(1, 25)
        names = [f"n{i}" for i in range(count)]
        rng.shuffle(names)
        nodes = [Node(name, "T") for name in names]
        edges = []
        for _wire in range(rng.randint(0, 2 * count)):
            a, b = rng.sample(range(count), 2) if count > 1 else (0, 0)
            if rng.random() < 0.9:
                a, b = min(a, b), max(a, b)  # mostly forward: long acyclic stretches
            edges.append(Edge(names[a], names[b], rng.randint(0, 2)))
        graph = ModelGraph("G", nodes, edges)
        structure = analyze_structure(graph)
        expected = graph.to_networkx()
        index = nx.get_node_attributes(expected, "index")
        cyclic = {n for c in nx.strongly_connected_components(expected) if len(c) > 1 for n in c}
        cyclic |= {n for n in expected if expected.has_edge(n, n)}
        expected.remove_nodes_from(cyclic)
        assert structure.order == list(nx.lexicographical_topological_sort(expected, key=index.__getitem__))
        assert {n: sorted(p) for n, p in structure.predecessors.items()} == {
            n: sorted(graph.to_networkx().predecessors(n)) for n in structure.predecessors}
