import nets

from builder.core.fragments import copy_fragment, fresh_id, parse_fragment, renamed_for


def test_copy_keeps_the_wires_inside_the_selection_and_paste_renames():
    graph = nets.lenet()
    text = copy_fragment(graph, ["conv1", "relu1", "fc3"])
    nodes, edges = parse_fragment(text)
    assert [n.id for n in nodes] == ["conv1", "relu1", "fc3"]
    assert [(e.src, e.dst) for e in edges] == [("conv1", "relu1")]
    pasted, wires = renamed_for(graph, nodes, edges, (20, 20))
    assert [n.id for n in pasted] == ["conv3", "relu5", "fc4"]
    assert [(e.src, e.dst) for e in wires] == [("conv3", "relu5")]


def test_foreign_or_broken_clipboard_text_is_ignored():
    assert parse_fragment("hello") is None
    assert parse_fragment('{"format": "nn-builder-fragment", "nodes": [{"type": "ReLU"}], "edges": []}') is None
    assert fresh_id("conv", {"conv1", "conv2"}) == "conv3"
