import nets

from builder.core.layout import COLUMN, layered_positions


def test_columns_follow_the_longest_path_and_branches_stack():
    graph = nets.residual_block()
    pos = layered_positions(graph)
    assert pos["x"][0] == 0 and pos["conv1"][0] == COLUMN
    assert pos["add"][0] > pos["bn2"][0]  # right of every input, the long branch included
    assert pos["out"][0] == max(x for x, _ in pos.values())
    xs = [pos[n.id] for n in graph.nodes]
    assert len(set(xs)) == len(xs)  # no two nodes on the same spot


def test_a_cycle_does_not_break_the_layout():
    graph = nets.lenet()
    from builder.core.graph import Edge

    graph.edges.append(Edge("relu4", "fc2", 1))
    graph.edges.append(Edge("fc2", "relu4", 1))
    pos = layered_positions(graph)
    assert set(pos) == set(graph.node_ids())
