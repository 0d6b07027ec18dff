"""Auto-layout: columns by longest path, long graphs in bands a window shows readably, U-Nets as a U."""

import nets
import pytest
from graphs import chain, model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.core.graph import Edge
from builder.core.layout import (
    ARM_COLUMNS,
    ARM_GAP,
    BAND_COLUMNS,
    COLUMN,
    FRAME_MARGIN,
    NODE_SPAN,
    READABLE_ZOOM,
    VIEW_WIDTH,
    layered_positions,
)
from builder.core.templates import load_template

BLOCK_HEIGHT = 100.0  # a block is 87 px tall, a few px more with many inputs
U_WIDTH = (2 * ARM_COLUMNS - 1) * COLUMN + ARM_GAP  # from the left arm's first column to the right arm's last


def chain_of(blocks: int):
    return chain(f"Chain{blocks}", [1, 8, 8], [(f"b{i}", "ReLU") for i in range(blocks)])


def residual_stack(blocks: int):
    """ResNet-style: each block conv-bn-relu-conv-bn, its input added back (Add), then a ReLU."""
    layers, edges, last = [("x", "Input", {"shape": [8, 8, 8]})], [], "x"
    for b in range(blocks):
        body = [f"conv{b}a", f"bn{b}a", f"relu{b}a", f"conv{b}b", f"bn{b}b", f"add{b}", f"relu{b}"]
        layers += [(body[0], "Conv2d"), (body[1], "BatchNorm2d"), (body[2], "ReLU"), (body[3], "Conv2d"),
                   (body[4], "BatchNorm2d"), (body[5], "Add"), (body[6], "ReLU")]
        edges += [(a, b_) for a, b_ in zip([last, *body], body)] + [(last, body[5], 1)]
        last = body[-1]
    return model("ResStack", [*layers, ("out", "Output")], [*edges, (last, "out")])


def unet(levels: int, stage: int):
    """A U-Net: `levels` encoder stages of `stage` blocks, each pooled into the next, a bottleneck stage,
    then per level an upsample, a Concat with the encoder stage's output (port 1) and `stage` blocks."""
    layers, edges, last, skips = [("x", "Input", {"shape": [1, 32, 32]})], [], "x", []

    def add(node_id, type_name, *sources):
        nonlocal last
        layers.append((node_id, type_name))
        edges.extend((source, node_id, port) for port, source in enumerate(sources or [last]))
        last = node_id

    def blocks(prefix):
        for i in range(stage):
            add(f"{prefix}_{i}", "ReLU")

    for level in range(levels):
        blocks(f"enc{level}")
        skips.append(last)
        add(f"pool{level}", "MaxPool2d")
    blocks("bottleneck")
    for level in reversed(range(levels)):
        add(f"up{level}", "Interpolate")
        add(f"cat{level}", "Concat", last, skips[level])
        blocks(f"dec{level}")
    add("out", "Output")
    return model(f"UNet{levels}x{stage}", layers, edges)


def lines(pos):
    """Nodes by line (same y), top to bottom, each left to right."""
    ys = sorted({y for _, y in pos.values()})
    return [sorted((n for n in pos if pos[n][1] == y), key=lambda n: pos[n][0]) for y in ys]


def frame_zoom(pos):
    """The zoom at which `GraphView.frame` shows the layout's whole width in the typical canvas."""
    xs = [x for x, _ in pos.values()]
    return VIEW_WIDTH / (max(xs) - min(xs) + NODE_SPAN + 2 * FRAME_MARGIN)


def test_the_layout_knows_how_wide_a_block_is_on_the_canvas():
    from builder.ui.canvas import node_item

    assert NODE_SPAN == node_item.WIDTH + 2 * node_item.PORT_HIT


def test_columns_follow_the_longest_path_and_branches_stack():
    graph = nets.residual_block()
    pos = layered_positions(graph, wrap=0)  # one band: the columns as they are
    assert pos["x"][0] == 0 and pos["conv1"][0] == COLUMN
    assert pos["add"][0] > pos["bn2"][0]  # right of every input, the long branch included
    assert pos["out"][0] == max(x for x, _ in pos.values())
    xs = [pos[n.id] for n in graph.nodes]
    assert len(set(xs)) == len(xs)  # no two nodes on the same spot


def test_a_cycle_does_not_break_the_layout():
    graph = nets.lenet()
    graph.edges.append(Edge("relu4", "fc2", 1))
    graph.edges.append(Edge("fc2", "relu4", 1))
    pos = layered_positions(graph)
    assert set(pos) == set(graph.node_ids())


@pytest.mark.parametrize(("blocks", "bands"), [(3, 1), (8, 2), (10, 3), (30, 7)])
def test_a_chain_wraps_into_even_bands_that_a_window_shows_readably(blocks, bands):
    """A chain reads like text: each band left to right from x = 0, the next one below; no band wider than
    the canvas shows at the readable zoom, and no band much shorter than the others."""
    pos = layered_positions(chain_of(blocks))
    rows = lines(pos)
    assert len(rows) == bands
    assert [n for row in rows for n in row] == ["x", *(f"b{i}" for i in range(blocks)), "out"]
    for row in rows:
        assert [pos[n][0] for n in row] == [i * COLUMN for i in range(len(row))]
        assert len(row) <= BAND_COLUMNS and frame_zoom({n: pos[n] for n in row}) >= READABLE_ZOOM
    assert max(map(len, rows)) - min(map(len, rows)) <= 1


UNETS = [unet(levels, stage) for levels in (2, 3, 4) for stage in (1, 2, 3, 5)]


UNET_TEMPLATE = load_template("unet_small")
MODULES = {m.name: m for m in UNET_TEMPLATE.models}


@pytest.mark.parametrize("graph", [UNET_TEMPLATE.models[0], *UNETS], ids=lambda g: g.name)
def test_a_u_net_is_drawn_as_a_u_whose_skips_are_short_wires_across(graph):
    """The encoder down the left arm, the decoder back up the right: each skip runs straight across the
    gap between the arms; the input and the output are at the top of their arms, the bottleneck at the bottom.
    The template is built from DoubleConv, Down and Up modules: a use weighs as the blocks inside it."""
    pos = layered_positions(graph, modules=MODULES)
    joins = {n.id for n in graph.nodes if n.type in ("Concat", "Up")}  # Up: the upsample, Concat and convs
    skips = [e for e in graph.edges if e.dst in joins and e.port == 1]
    assert len(skips) >= 2
    right_arm = ARM_COLUMNS * COLUMN + ARM_GAP
    for skip in skips:
        (x_from, y_from), (x_to, y_to) = pos[skip.src], pos[skip.dst]
        assert y_from == y_to, skip
        assert x_from < right_arm <= x_to and x_to - x_from <= COLUMN + ARM_GAP, skip
    top, bottom = min(y for _, y in pos.values()), max(y for _, y in pos.values())
    inputs = [n.id for n in graph.nodes if n.type == "Input"]
    outputs = [n.id for n in graph.nodes if n.type == "Output"]
    left_arm = [n for n in pos if pos[n][0] < right_arm]
    assert set(inputs) <= set(left_arm) and not set(outputs) & set(left_arm)
    assert {pos[n][1] for n in inputs} == {min(pos[n][1] for n in left_arm)} and {pos[n][1] for n in outputs} == {top}
    assert any(pos[e.src][1] == bottom and pos[e.src][0] < right_arm <= pos[e.dst][0]
               for e in graph.edges)  # the bottleneck closes the U
    assert frame_zoom(pos) >= 0.6  # the whole U in view, still readable


@pytest.mark.parametrize("graph", [load_template("resnet_small").models[0], residual_stack(1), residual_stack(4),
                                   nets.unet()], ids=lambda g: g.name)
def test_graphs_without_nested_skips_keep_their_bands(graph):
    """Residual skips follow one another (and a single skip proves no U): these wrap like chains."""
    pos = layered_positions(graph)
    assert pos == layered_positions(graph, wrap=BAND_COLUMNS)
    xs = [x for x, _ in pos.values()]
    assert max(xs) <= (BAND_COLUMNS - 1) * COLUMN and frame_zoom(pos) >= READABLE_ZOOM


@st.composite
def dags(draw):
    """A random DAG with one Input and one Output: each node fed by one or two of the nodes before it."""
    count = draw(st.integers(1, 40))
    layers, edges = [("n0", "Input", {"shape": [4, 8, 8]})], []
    for i in range(1, count):
        sources = draw(st.sets(st.integers(max(0, i - 8), i - 1), min_size=1, max_size=2))
        layers.append((f"n{i}", "Add" if len(sources) > 1 else "ReLU"))
        edges += [(f"n{s}", f"n{i}", port) for port, s in enumerate(sorted(sources))]
    layers.append(("out", "Output"))
    edges.append((f"n{count - 1}", "out"))
    return model("Random", layers, edges)


def assert_readable(graph):
    pos = layered_positions(graph)
    assert set(pos) == set(graph.node_ids())
    spots = sorted(pos.items(), key=lambda item: item[1])
    for i, (a, (xa, ya)) in enumerate(spots):
        for b, (xb, yb) in spots[i + 1:]:
            assert not (abs(xa - xb) < NODE_SPAN and abs(ya - yb) < BLOCK_HEIGHT), f"{graph.name}: {a} overlaps {b}"
    xs = [x for x, _ in pos.values()]
    assert max(xs) - min(xs) <= U_WIDTH, f"{graph.name} is wider than a window shows readably"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_no_two_blocks_overlap_and_no_layout_is_wider_than_a_u(graph):
    assert_readable(graph)


@pytest.mark.parametrize("graph", [*(chain_of(n) for n in (0, 1, 5, 12, 40)), *UNETS, residual_stack(3),
                                   *(m for name in ("unet_small", "resnet_small", "vgg_small", "dcgan")
                                     for m in load_template(name).models)], ids=lambda g: g.name)
def test_no_two_blocks_overlap_in_the_known_shapes(graph):
    assert_readable(graph)
