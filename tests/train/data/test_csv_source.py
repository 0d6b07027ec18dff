"""CSV tables: features, labels and targets, with errors that give the file and line."""

from __future__ import annotations

import pytest
import torch

from builder.train.data.base import DataError, SourceRequest
from builder.train.data.sources import load_source


def request(folder, input_shape=(3,), task="classification", output_shape=(3,), **spec) -> SourceRequest:
    return SourceRequest(
        {"kind": "csv", "path": "data.csv", **spec}, tuple(input_shape), tuple(output_shape), task, folder
    )


def load(folder, text: str, **kw):
    (folder / "data.csv").write_text(text, encoding="utf-8")
    return load_source(request(folder, **kw))


def error_of(folder, text: str, **kw) -> str:
    (folder / "data.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_source(request(folder, **kw))
    message = str(caught.value)
    assert "\n" not in message
    return message


TABLE = "age,height,weight,label\n30,1.8,80,1\n41,1.6,55.5,0\n25,1.7,70,2\n"


def test_features_are_float_and_the_last_column_is_the_label(tmp_path):
    data = load(tmp_path, TABLE)
    x, y = data.tensors
    assert x.dtype == torch.float32 and x.shape == (3, 3)
    assert x[1].tolist() == pytest.approx([41.0, 1.6, 55.5])
    assert y.dtype == torch.int64 and y.tolist() == [1, 0, 2]
    assert data.classes == ["0", "1", "2"]
    assert data.description == "csv data.csv: 3 rows, 3 features, 3 classes 'label'"
    assert data.files == [tmp_path / "data.csv"]
    assert data.dataset[2][1].item() == 2


def test_the_target_and_feature_columns_can_be_named(tmp_path):
    data = load(tmp_path, TABLE, input_shape=(2,), target="age", columns=["weight", "label"])
    x, y = data.tensors
    assert x[0].tolist() == [80.0, 1.0]
    assert y.tolist() == [30, 41, 25] and len(data.classes) == 42


def test_text_labels_become_sorted_class_names(tmp_path):
    data = load(tmp_path, "a,b,kind\n1,2,dog\n3,4,cat\n5,6, dog\n7,8,bird\n", input_shape=(2,))
    assert data.classes == ["bird", "cat", "dog"]
    assert data.tensors[1].tolist() == [2, 1, 2, 0]


def test_numeric_labels_that_are_not_counts_are_ordered_by_value(tmp_path):
    data = load(tmp_path, "a,y\n1,1\n2,-1\n3,10\n4,2.5\n", input_shape=(1,))
    assert data.classes == ["-1", "1", "2.5", "10"]
    assert data.tensors[1].tolist() == [1, 0, 3, 2]


def test_whole_float_labels_are_counts(tmp_path):
    data = load(tmp_path, "a,y\n1,1.0\n2,0.0\n", input_shape=(1,))
    assert data.classes == ["0", "1"] and data.tensors[1].tolist() == [1, 0]


def test_regression_takes_one_float_target(tmp_path):
    data = load(
        tmp_path,
        TABLE,
        task="regression",
        output_shape=(1,),
        target="weight",
        columns=["age", "height"],
        input_shape=(2,),
    )
    y = data.tensors[1]
    assert y.dtype == torch.float32 and y.shape == (3, 1) and y[1].item() == 55.5
    assert data.classes is None


def test_regression_needs_an_output_of_one(tmp_path):
    message = error_of(tmp_path, TABLE, task="regression", output_shape=(2,))
    assert message == (
        "data.csv has one target column ('label') but the model's Output gives 2; "
        "for regression on a CSV the Output gives 1 value"
    )


def test_reconstruction_uses_every_column_unless_a_target_is_named(tmp_path):
    data = load(tmp_path, TABLE, task="reconstruction", input_shape=(4,))
    assert data.tensors[0].shape == (3, 4) and data.tensors[1] is None
    x, target = data.dataset[0]
    assert torch.equal(x, target)
    assert load(tmp_path, TABLE, task="reconstruction", target="label").tensors[0].shape == (3, 3)


def test_quotes_a_bom_and_blank_lines_are_handled(tmp_path):
    (tmp_path / "data.csv").write_bytes('\ufeff"a","b,c",y\n\n1,"2",x\n\n3,4,z\n'.encode())
    data = load_source(request(tmp_path, input_shape=(2,)))
    assert data.tensors[0].tolist() == [[1.0, 2.0], [3.0, 4.0]] and data.classes == ["x", "z"]


def test_a_cell_that_is_not_a_number_gives_the_line(tmp_path):
    text = "age,height,weight,label\n" + "30,1.8,80,1\n" * 15 + "n/a,1.7,70,2\n"
    assert error_of(tmp_path, text) == "data.csv line 17: column 'age' is not a number: 'n/a'"


def test_an_empty_cell_gives_the_line_after_a_blank_line(tmp_path):
    assert error_of(tmp_path, "a,b,y\n1,2,0\n\n3,,1\n", input_shape=(2,)) == "data.csv line 4: column 'b' is empty"


def test_nan_and_infinity_are_refused(tmp_path):
    assert error_of(tmp_path, "a,b,c,y\n1,2,3,0\n1,inf,3,0\n") == (
        "data.csv line 3: column 'b' is not a finite number: 'inf'"
    )


def test_an_empty_label_gives_the_line(tmp_path):
    assert error_of(tmp_path, "a,b,c,y\n1,2,3,cat\n1,2,3, \n") == "data.csv line 3: the target column 'y' is empty"


def test_a_missing_column_lists_the_columns_there(tmp_path):
    assert error_of(tmp_path, "a,b,c\n1,2,3\n", input_shape=(2,), target="label") == (
        "data.csv has no column 'label'; it has: a, b, c"
    )
    assert error_of(tmp_path, "a,b,c\n1,2,3\n", input_shape=(2,), columns=["a", "d"]) == (
        "data.csv has no column 'd'; it has: a, b, c"
    )


def test_the_target_cannot_also_be_a_feature(tmp_path):
    message = error_of(tmp_path, TABLE, input_shape=(2,), columns=["age", "label"])
    assert message == "data.csv: column 'label' is both the target and a feature"


def test_ragged_rows_give_the_line(tmp_path):
    assert error_of(tmp_path, "a,b,y\n1,2,0\n1,2\n") == "data.csv line 3: 2 values, but the header names 3 columns"


def test_a_file_with_no_data_rows_or_nothing_at_all(tmp_path):
    assert error_of(tmp_path, "a,b,y\n\n") == "data.csv has a header but no data rows"
    assert error_of(tmp_path, "") == "data.csv is empty; its first row must name the columns"


def test_the_feature_count_must_match_the_input(tmp_path):
    text = "a,b,c,d,y\n1,2,3,4,0\n"
    assert error_of(tmp_path, text, input_shape=(8,)) == (
        "data.csv has 4 feature columns but the model's Input takes 8 features"
    )
    assert "the model's Input takes 1×2×2" in error_of(tmp_path, text, input_shape=(1, 2, 2))


def test_semicolon_separated_files_get_a_hint(tmp_path):
    assert "separate values with commas" in error_of(tmp_path, "a;b;y\n1;2;0\n")


def test_a_file_that_is_not_utf8(tmp_path):
    (tmp_path / "data.csv").write_bytes(b"a,b,y\n1,2,\xff\xfe\n")
    with pytest.raises(DataError, match=r"^data.csv is not UTF-8 text"):
        load_source(request(tmp_path))


def test_a_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"^data.csv: no such file$"):
        load_source(request(tmp_path))


def test_a_large_table_loads_quickly(tmp_path):
    import time

    rows = "\n".join(f"{i},{i * 0.5},{i % 7}" for i in range(50_000))
    (tmp_path / "data.csv").write_text("a,b,y\n" + rows + "\n")
    start = time.perf_counter()
    data = load_source(request(tmp_path, input_shape=(2,)))
    assert time.perf_counter() - start < 2.0
    assert data.tensors[0].shape == (50_000, 2) and data.classes == [str(i) for i in range(7)]
