"""Room for a block dropped onto a wire: it clears the wire's source, and what follows moves on, all together."""

from graphs import model

from builder.core.graph import Edge
from builder.core.insert_room import INSERT_GAP, room_for_insert

W, H = 164.0, 87.0  # a block on the canvas


def boxes(**positions):
    return {n: (x, y, W, H) for n, (x, y) in positions.items()}


def row():
    """a → b → c in a row, 210 px apart (auto-layout's columns), and a free block n."""
    return model("M", [("a", "ReLU"), ("b", "ReLU"), ("c", "ReLU"), ("n", "Dropout")], [("a", "b"), ("b", "c")])


def test_a_block_dropped_between_close_neighbours_clears_the_source_and_pushes_what_follows():
    moved = room_for_insert(row(), Edge("a", "b"), "n", boxes(a=(0, 0), b=(210, 0), c=(420, 0), n=(120, 10)))
    n_x = W + INSERT_GAP
    push = n_x + W + INSERT_GAP - 210
    assert moved == {"n": (n_x, 10), "b": (210 + push, 0), "c": (420 + push, 0)}


def test_nothing_moves_where_there_is_room_already():
    assert room_for_insert(row(), Edge("a", "b"), "n", boxes(a=(0, 0), b=(600, 0), c=(810, 0), n=(250, 0))) == {}


def test_a_node_behind_the_wires_target_stays_where_it_is():
    """A chain wrapping to a new row: c sits below and left of b, and stays; b alone moves on."""
    moved = room_for_insert(row(), Edge("a", "b"), "n", boxes(a=(0, 0), b=(210, 0), c=(0, 190), n=(210, 0)))
    assert set(moved) == {"b"} and moved["b"][1] == 0 and moved["b"][0] == 210 + W + INSERT_GAP


def test_a_downward_wire_makes_room_downward():
    moved = room_for_insert(row(), Edge("a", "b"), "n", boxes(a=(0, 0), b=(0, 150), c=(0, 300), n=(0, 100)))
    assert moved["n"] == (0, H + INSERT_GAP) and moved["b"][0] == 0 and moved["c"][1] - moved["b"][1] == 150
