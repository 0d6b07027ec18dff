"""Parameter declarations validate and normalize the values a project file holds."""

import math

import pytest

from builder.blocks.params import (
    CHOICE,
    FLOAT,
    FLOAT_PAIR,
    INT,
    INT_LIST,
    INT_PAIR,
    SHAPE,
    Param,
    unknown_param_message,
)


def test_int_or_pair_normalizes_lists_to_tuples():
    p = Param("kernel_size", INT_PAIR, "help", min=1)
    assert p.validate(3) == (3, None)
    assert p.validate([3, 5]) == ((3, 5), None)
    assert p.validate(True)[1] == "kernel_size must be one whole number or a pair [height, width], got True"


def test_floats_accept_ints_and_refuse_non_finite():
    p = Param("p", FLOAT, "help", min=0.0, max=1.0)
    assert p.validate(1) == (1.0, None)
    assert p.validate(math.nan)[1] == "p must be a finite number, got nan"
    pair = Param("scale_factor", FLOAT_PAIR, "help", min=0.0, min_exclusive=True)
    assert pair.validate([2, 0.5]) == ((2.0, 0.5), None)
    assert pair.validate(0)[1] == "scale_factor must be greater than 0, got 0"


def test_choice_returns_the_declared_object():
    p = Param("mode", CHOICE, "help", default="nearest", choices=("nearest", "bilinear"))
    value, error = p.validate("".join(["bi", "linear"]))
    assert error is None and value is p.choices[1]
    assert p.validate(1)[1] == "mode must be one of nearest, bilinear; got 1"


def test_shape_and_optional_values():
    p = Param("shape", SHAPE, "help")
    assert p.validate([1, 28, 28]) == ((1, 28, 28), None)
    assert p.validate([])[1].startswith("shape must be a list of 1 to 3 sizes")
    assert p.validate([1, 0])[1] == "shape sizes must be whole numbers of at least 1, got 0"
    assert p.validate(None)[1] == "shape must be set"
    optional = Param("in_channels", INT, "help", default=None, min=1, optional=True, inferred=True)
    assert optional.validate(None) == (None, None)


def test_declaration_mistakes_are_caught_early():
    with pytest.raises(ValueError):
        Param("x", "complex", "help")
    with pytest.raises(ValueError):
        Param("x", CHOICE, "help")
    with pytest.raises(ValueError):
        Param("x", INT, "help", inferred=True)


def test_unknown_parameter_suggests_the_closest():
    assert unknown_param_message("strde", ["stride", "padding"]).startswith("unknown parameter 'strde' (did you mean 'stride'?)")


def test_whole_numbers_beyond_float_range_are_refused_not_raised():
    # float(10**400) raised OverflowError, in the float check and in the message for a too-large int
    assert Param("lr", FLOAT, "help", min=0.0).validate(10**400)[1] == "lr must be a finite number, got inf"
    message = Param("epochs", INT, "help", min=1, max=1_000_000).validate(10**400)[1]
    assert message.startswith("epochs must be at most 1000000, got 1000000000") and len(message) < 100


def test_text_from_the_file_shows_on_one_printable_line():
    p = Param("mode", CHOICE, "help", default="nearest", choices=("nearest", "bilinear"))
    assert p.validate("a\nb\x1b[2J\ud800")[1] == "mode must be one of nearest, bilinear; got 'a\\nb\\x1b[2J\\ud800'"
    assert unknown_param_message("x\r" + "y" * 100, ["stride"]) == (
        f"unknown parameter 'x\\r{'y' * 38}...'; valid parameters: stride")


def test_int_list_takes_a_list_of_whole_numbers_as_a_tuple():
    dims = Param("dims", INT_LIST, "help", min=1)
    assert dims.validate([2, 3, 1]) == ((2, 3, 1), None)
    assert dims.validate(2)[1] == "dims must be a list of 1 to 6 whole numbers, got 2"
    assert dims.validate([2, 3.0])[1] == "every entry of dims must be a whole number, got 3.0"
    assert dims.validate([2, 0])[1] == "every entry of dims must be at least 1, got 0"
    assert dims.validate(list(range(1, 8)))[1] == "dims must be a list of 1 to 6 whole numbers, got 7 values"
    assert dims.kind_text() == "int_list (1 to 6 entries, ≥ 1)"


def test_int_list_with_scalar_takes_one_number_as_it_is():
    padding = Param("padding", INT_LIST, "help", min=0, count=(4, 4), scalar=True)
    assert padding.validate(2) == (2, None)
    assert padding.validate([1, 2, 3, 4]) == ((1, 2, 3, 4), None)
    assert padding.validate([1, 2])[1] == "padding must be one whole number or a list of 4 whole numbers, got 2 values"
    assert padding.validate(True)[1] == "padding must be one whole number or a list of 4 whole numbers, got True"
    assert padding.kind_text() == "int or int_list (4 entries, ≥ 0)"
