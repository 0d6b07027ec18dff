"""Damaged and hostile weights and checkpoint files: each gets one line naming the file and what is wrong,
through every entry point a user reaches (load_weights + load_into, load_for_model, builder eval, builder
export, builder train --resume), and nothing a file holds is ever run."""

from __future__ import annotations

import io
import json
import os
import pathlib
import pickle
import shutil
import struct
import tracemalloc
import warnings
import zipfile

import pytest
import torch
from projects import shapes_project
from safetensors.torch import save as safetensors_bytes

from builder.cli import main
from builder.compile import build_classes, generate_code
from builder.core.project import save_project
from builder.train.checkpoint import CheckpointError, load_checkpoint, load_into, load_weights
from builder.train.weights import load_for_model

PROJECT = shapes_project(samples=100, training={"epochs": 1})


def fresh_net() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_classes(generate_code(PROJECT, ["Net"]))["Net"]()


def good_state() -> dict[str, torch.Tensor]:
    return fresh_net().state_dict()


def changed(**tensors: torch.Tensor | None) -> dict[str, torch.Tensor]:
    """The good state with some tensors replaced (or, given None, removed)."""
    state = {**good_state(), **tensors}
    return {k: v for k, v in state.items() if v is not None}


def pt(state) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def safetensors_file(header, data: bytes = bytes(16), length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def one_f32(offsets=(0, 16), shape=(4,), dtype="F32") -> dict:
    return {"w": {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}}


class Payload:
    """Unpickling it would call `call(*args)`: what a hostile weights file does."""

    def __init__(self, call, *args):
        self.call, self.args = call, args

    def __reduce__(self):
        return self.call, self.args


def legacy_pt(state) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer, _use_new_zipfile_serialization=False)
    return buffer.getvalue()


def torchscript_bytes() -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TorchScript is deprecated; people still have such files
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buffer)
    return buffer.getvalue()


def npz_bytes() -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, w=np.zeros(3))
    return buffer.getvalue()


def with_short_tensor_data(data: bytes) -> bytes:
    """The zip intact, but a tensor's data record cut to a few bytes."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            target.writestr(name, content[:8] if "/data/" in name else content)  # "archive/data/0"...
    return out.getvalue()


GOOD = pt(good_state())

# (id, file name, its bytes, what the message must say). Each file is refused by every entry point.
REFUSED = [
    # cut short, at several points
    ("pt-empty", "w.pt", b"", "the file is empty (0 bytes)"),
    ("pt-cut-in-header", "w.pt", GOOD[:10], "is cut short or damaged: not a complete PyTorch file"),
    ("pt-cut-in-data", "w.pt", GOOD[:len(GOOD) // 2], "is cut short or damaged: not a complete PyTorch file"),
    ("pt-cut-near-end", "w.pt", GOOD[:-10], "is cut short or damaged: not a complete PyTorch file"),
    ("pt-tensor-data-cut", "w.pt", with_short_tensor_data(GOOD), "a tensor has fewer bytes than it should"),
    ("legacy-pt-cut", "w.pt", legacy_pt(good_state())[:300], "is cut short or damaged"),
    ("st-empty", "w.safetensors", b"", "the file is empty (0 bytes)"),
    ("st-cut-in-length", "w.safetensors", safetensors_bytes(good_state())[:5], "this one has only 5 bytes"),
    ("st-cut-in-header", "w.safetensors", safetensors_bytes(good_state())[:40], "bytes long but only 32 bytes follow"),
    ("st-cut-in-data", "w.safetensors", safetensors_bytes(good_state())[:-100], "but the data holds only"),
    # the wrong tensors
    ("pt-wrong-shape", "w.pt", pt(changed(**{"fc.weight": torch.zeros(3, 256)})),
     "shapes differ: fc.weight: file (3, 256), model (4, 256)"),
    ("st-wrong-shape", "w.safetensors", safetensors_bytes(changed(**{"conv1.bias": torch.zeros(9)})),
     "shapes differ: conv1.bias: file (9,), model (8,)"),
    ("pt-missing", "w.pt", pt(changed(**{"fc.bias": None})), "the weights do not fit this model (missing: fc.bias)"),
    ("pt-extra", "w.pt", pt(changed(extra=torch.zeros(1))), "(not in the model: extra)"),
    ("pt-int64", "w.pt", pt(changed(**{"fc.weight": torch.ones(4, 256, dtype=torch.int64)})),
     "fc.weight holds whole numbers (int64) but the model's fc.weight holds floating-point numbers (float32)"),
    ("st-bool", "w.safetensors", safetensors_bytes(changed(**{"fc.bias": torch.ones(4, dtype=torch.bool)})),
     "fc.bias holds true/false values (bool) but the model's fc.bias holds floating-point numbers (float32)"),
    ("pt-nan", "w.pt", pt(changed(**{"fc.bias": torch.tensor([0.0, float("nan"), 0.0, 0.0])})),
     "fc.bias holds NaN or infinite values: these weights are broken"),
    ("st-inf", "w.safetensors", safetensors_bytes(changed(**{"conv2.bias": torch.full((16,), float("inf"))})),
     "conv2.bias holds NaN or infinite values"),
    ("pt-too-large-for-float32", "w.pt", pt(changed(**{"fc.bias": torch.full((4,), 1e300, dtype=torch.float64)})),
     "fc.bias holds values too large for the model's float32"),
    # hostile pickles: refused before anything in them runs (the sentinel test below checks that)
    ("raw-pickle-system", "w.pt", pickle.dumps({"fc.weight": Payload(os.system, "touch SENTINEL")}, protocol=2),
     "holds something other than plain tensors (posix.system" if os.name == "posix" else "holds something other"),
    ("raw-pickle-exec", "w.pt", pickle.dumps({"fc.weight": Payload(exec, "open('SENTINEL', 'w')")}, protocol=2),
     "holds something other than plain tensors (exec, which could run code when loaded)"),
    ("raw-pickle-new-protocol", "w.pt", pickle.dumps({"fc.weight": Payload(os.system, "touch SENTINEL")}),
     "holds something other than plain tensors, so it was not opened"),
    ("zip-system", "w.pt", pt({"fc.weight": Payload(os.system, "touch SENTINEL")}), "system, which could run code"),
    ("zip-exec", "w.pth", pt({"fc.weight": Payload(exec, "open('SENTINEL', 'w')")}), "exec, which could run code"),
    # safetensors headers that lie
    ("st-header-past-end", "w.safetensors", safetensors_file(one_f32(), length=500),
     "its header should be 500 bytes long but only"),
    ("st-header-2**62", "w.safetensors", safetensors_file(one_f32(), length=2**62),
     "its header should be 4,611,686,018,427,387,904 bytes long"),
    ("st-offsets-past-end", "w.safetensors", safetensors_file(one_f32((0, 32), (8,))),
     "tensor 'w' ends at byte 32 but the data holds only 16 bytes"),
    ("st-overlap", "w.safetensors",
     safetensors_file({**one_f32(), "v": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}),
     "tensors 'w' and 'v' claim the same bytes"),
    ("st-negative-offset", "w.safetensors", safetensors_file(one_f32((-4, 12))), "has data offsets that are not"),
    ("st-backwards-offsets", "w.safetensors", safetensors_file(one_f32((16, 0), (0,))), "ends (byte 0) before it"),
    ("st-dtype-vs-bytes", "w.safetensors", safetensors_file(one_f32(dtype="F64")),
     "tensor 'w' is 4 values of F64 (32 bytes) but its offsets span 16 bytes"),
    ("st-unknown-dtype", "w.safetensors", safetensors_file(one_f32(dtype="F33")), "a number type safetensors does not"),
    ("st-gap", "w.safetensors", safetensors_file(one_f32((8, 16), (2,))), "bytes 0 to 8 of the data belong to no"),
    ("st-trailing", "w.safetensors", safetensors_file(one_f32((0, 8), (2,))), "the last 8 bytes of the data belong"),
    ("st-not-json", "w.safetensors", safetensors_file(b"{not json at all}"), "its header is not JSON"),
    ("st-header-a-list", "w.safetensors", safetensors_file(b"[1, 2, 3]"), "its header is not a table of tensors"),
    # not weights at all
    ("text-as-pt", "w.pt", b"epoch 1/2  train_loss 0.9\n", "is a text file, not a weights file"),
    ("text-as-safetensors", "w.safetensors", b'{"format": "nn-builder-project"}', "is a text file"),
    ("binary-noise", "w.bin", bytes(range(7, 200)), "is neither a PyTorch file nor a safetensors file"),
    ("onnx", "w.onnx", b"\x08\x07\x12\x07pytorch\x00\x01", "is an ONNX model, not a weights file"),
    ("torchscript", "w.pt", torchscript_bytes(), "is a TorchScript model, not a weights file"),
    ("npz", "w.npz", npz_bytes(), "is a zip archive but not a PyTorch file"),
    ("plain-pickle", "w.pkl", pickle.dumps({"fc.weight": 1}, protocol=2), "is a Python pickle but not a PyTorch file"),
    ("one-tensor", "w.pt", pt(torch.zeros(4)), "holds a single tensor of shape (4,), not a state_dict"),
    ("a-list", "w.pt", pt([torch.zeros(4)]), "holds a list, not a state_dict"),
    ("empty-dict", "w.pt", pt({}), "holds no tensors (an empty dict)"),
    ("number-key", "w.pt", pt({0: torch.zeros(1)}), "has an entry named 0, not a text name"),
    # checkpoint dicts that do not hold one plain state_dict
    ("epoch-beside-weights", "w.ckpt", pt({"epoch": 3, "weights": good_state()}),
     "holds 'epoch', which is a number, not a tensor"),
    ("mixed-model-entry", "w.ckpt", pt({"model": {**good_state(), "epoch": 3}}),
     "its 'model' holds 'epoch', which is a number, not a tensor"),
    ("empty-state-dict", "w.ckpt", pt({"state_dict": {}, "epoch": 1}), "its 'state_dict' holds no tensors"),
    ("two-state-dicts", "w.ckpt", pt({"model": good_state(), "state_dict": good_state()}),
     "holds several sets of weights ('state_dict', 'model')"),
    ("lightning-prefix", "w.ckpt", pt({"state_dict": {f"model.{k}": v for k, v in good_state().items()}}),
     "every name in the file starts with 'model.': the weights are of a model that holds this one as 'model'"),
    ("sparse", "w.pt", pt(changed(**{"fc.bias": torch.zeros(4).to_sparse()})), "fc.bias is a sparse_coo tensor"),
]

# Files that load: other torch extensions, other precisions, the usual checkpoint shapes, wrapper prefixes.
# The last item is how far the loaded values may be from the saved ones: float16 keeps about 3 digits.
LOADED = [
    ("pth", "w.pth", pt(good_state()), 0),
    ("bin", "w.bin", pt(good_state()), 0),
    ("legacy-format", "w.pt", legacy_pt(good_state()), 0),
    ("safetensors-named-bin", "w.bin", safetensors_bytes(good_state()), 0),
    ("float64", "w.pt", pt({k: v.double() for k, v in good_state().items()}), 0),
    ("float16", "w.safetensors", safetensors_bytes({k: v.half() for k, v in good_state().items()}), 1e-3),
    ("state_dict", "w.ckpt", pt({"state_dict": good_state(), "epoch": 3, "hyper_parameters": {"lr": 0.1}}), 0),
    ("model", "w.pt", pt({"model": good_state(), "optimizer": {"state": {}, "param_groups": []}}), 0),
    ("model_state_dict", "w.tar", pt({"model_state_dict": good_state(), "optimizer_state_dict": {}, "loss": 0.5}), 0),
    ("data-parallel", "w.pt", pt({f"module.{k}": v for k, v in good_state().items()}), 0),
    ("compiled", "w.pt", pt({"state_dict": {f"_orig_mod.{k}": v for k, v in good_state().items()}}), 0),
]


def written(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def one_line(message: str, path) -> str:
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message and "Traceback" not in message and "\x1b" not in message, message
    return message


def refused_by_load_into(path) -> str:
    with pytest.raises(CheckpointError) as info:
        load_into(fresh_net(), load_weights(path), str(path))
    return one_line(str(info.value), path)


def refused_by_load_for_model(path) -> str:
    with pytest.raises(CheckpointError) as info:
        load_for_model(PROJECT, "Net", path)
    return one_line(str(info.value), path)


@pytest.mark.parametrize(("name", "data", "expected"), [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED])
def test_each_unusable_file_is_refused_in_one_line_naming_it(tmp_path, name, data, expected):
    path = written(tmp_path, name, data)
    assert expected in refused_by_load_into(path)
    assert expected in refused_by_load_for_model(path)


@pytest.mark.parametrize(("name", "data", "tolerance"), [case[1:] for case in LOADED], ids=[c[0] for c in LOADED])
def test_usual_files_load_with_the_same_values(tmp_path, name, data, tolerance):
    path = written(tmp_path, name, data)
    model = fresh_net()
    model.load_state_dict({k: torch.zeros_like(v) for k, v in model.state_dict().items()})
    load_into(model, load_weights(path), str(path))
    _code, state = load_for_model(PROJECT, "Net", path)
    for key, value in good_state().items():
        torch.testing.assert_close(model.state_dict()[key], value, atol=tolerance, rtol=tolerance)
        torch.testing.assert_close(state[key], value, atol=tolerance, rtol=tolerance)
        assert model.state_dict()[key].dtype == torch.float32


def test_a_folder_a_missing_file_and_an_unreadable_file(tmp_path, monkeypatch):
    (tmp_path / "weights.pt").mkdir()
    assert refused_by_load_into(tmp_path / "weights.pt").endswith(": is a folder, not a file")
    assert refused_by_load_for_model(tmp_path / "nothing.pt").endswith(": the file does not exist")
    locked = written(tmp_path, "locked.pt", GOOD)

    def denied(self, *args, **kwargs):  # as chmod 0 would, also when the tests run as root
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "open", denied)
    assert refused_by_load_into(locked).endswith(": cannot be read (Permission denied)")


@pytest.mark.parametrize("case", ["raw-pickle-system", "raw-pickle-exec", "raw-pickle-new-protocol", "zip-system",
                                  "zip-exec"])
def test_a_hostile_pickle_never_runs(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)  # the payloads write SENTINEL into the working folder
    _id, name, data, _expected = next(c for c in REFUSED if c[0] == case)
    path = written(tmp_path, name, data)
    refused_by_load_into(path)
    refused_by_load_for_model(path)
    assert main(["eval", str(saved_project(tmp_path)), "--weights", str(path)]) == 2
    assert not (tmp_path / "SENTINEL").exists()
    # The payload is real: an unsafe load (pickle's, or torch's without weights_only) does run it.
    if data.startswith(b"PK"):
        torch.load(path, weights_only=False)
    else:
        pickle.loads(data)
    assert (tmp_path / "SENTINEL").exists()


def test_a_huge_header_length_allocates_nothing(tmp_path):
    path = written(tmp_path, "w.safetensors", safetensors_file(one_f32(), length=2**62))
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError):
            load_weights(path)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_a_stride_0_view_in_a_weights_file_is_not_expanded(tmp_path):
    """A pickle can describe one stored value repeated 2**40 times; checking it must not allocate that."""
    huge = torch.zeros(1).expand(2**40)
    state = changed(**{"fc.bias": huge})
    path = written(tmp_path, "w.pt", pt(state))
    assert "shapes differ: fc.bias: file (1099511627776,), model (4,)" in refused_by_load_into(path)


# -- the input normalization kept in the weights ----------------------------------------------------


def normalized(mean, std) -> dict[str, torch.Tensor]:
    state = good_state()
    for name, values in (("x_mean", mean), ("x_std", std)):
        if values is not None:
            state[name] = torch.tensor(values, dtype=torch.float32).view(1, -1, 1, 1)
    return state


@pytest.mark.parametrize(("mean", "std", "expected"), [
    ([0.5] * 5, [0.2] * 5, "x_mean (the input normalization) has 5 values but the model's input has 1 channel"),
    ([float("nan")], [0.2], "x_mean (the input normalization) holds NaN or infinite values"),
    ([0.5], [0.0], "x_std (the input normalization) holds 0.0, but the input is divided by it"),
    ([0.5], None, "x_std (the input normalization) is missing, while its counterpart is there"),
])
def test_normalization_that_does_not_suit_the_input_is_refused(tmp_path, mean, std, expected):
    path = written(tmp_path, "w.pt", pt(normalized(mean, std)))
    assert expected in refused_by_load_for_model(path)


def test_normalization_kept_in_the_weights_becomes_code(tmp_path):
    path = written(tmp_path, "w.safetensors", safetensors_bytes(normalized([0.25], [0.5])))
    code, state = load_for_model(PROJECT, "Net", path)
    assert "self.x_mean" in code.source and state["x_std"].flatten().tolist() == [0.5]


# -- the command line ------------------------------------------------------------------------------


def saved_project(tmp_path):
    path = tmp_path / "shapes.json"
    if not path.exists():
        save_project(PROJECT, path)
    return path


COMMANDS = {
    "eval": lambda project, weights, tmp: ["eval", project, "--weights", weights],
    "torchscript": lambda project, weights, tmp: ["export", project, "--torchscript", str(tmp / "m.pt"),
                                                  "--weights", weights],
    "onnx": lambda project, weights, tmp: ["export", project, "--onnx", str(tmp / "m.onnx"), "--weights", weights],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("name", "data", "expected"), [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED])
def test_the_cli_says_one_line_and_exits_2(tmp_path, capsys, command, name, data, expected):
    path = written(tmp_path, name, data)
    argv = COMMANDS[command](str(saved_project(tmp_path)), str(path), tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert expected in one_line(captured.err.rstrip("\n"), path)
    assert captured.out == ""
    assert not (tmp_path / "m.pt").exists() and not (tmp_path / "m.onnx").exists()


def test_the_cli_reports_a_folder_and_a_missing_file(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    project = str(saved_project(tmp_path))
    assert main(["eval", project, "--weights", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'run'}: is a folder, not a file\n"
    assert main(["export", project, "--torchscript", str(tmp_path / "m.pt"), "--weights", str(tmp_path / "no.pt")]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'no.pt'}: the file does not exist\n"


def test_the_cli_loads_a_data_parallel_checkpoint(tmp_path, capsys):
    wrapped = {f"module.{k}": v for k, v in good_state().items()}
    path = written(tmp_path, "w.ckpt", pt({"epoch": 2, "state_dict": wrapped}))
    project = str(saved_project(tmp_path))
    assert main(["export", project, "--torchscript", str(tmp_path / "m.pt"), "--weights", str(path)]) == 0
    assert main(["eval", project, "--weights", str(path)]) == 0
    assert "validation samples  25" in capsys.readouterr().out


# -- builder train --resume with a damaged checkpoint ----------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A project and its output folder after one epoch, to copy and damage."""
    folder = tmp_path_factory.mktemp("trained")
    project = saved_project(folder)
    assert main(["train", str(project), "--out", str(folder / "run")]) == 0
    return project, folder / "run"


def checkpoint_without(key: str):
    def damage(state):
        state.pop(key)
        return pt(state)
    return damage


def checkpoint_with(**entries):
    def damage(state):
        return pt({**state, **entries})
    return damage


RESUME_DAMAGE = [
    ("empty", lambda state: b"", "the file is empty (0 bytes)"),
    ("cut-in-half", lambda state: pt(state)[:len(pt(state)) // 2], "is cut short or damaged"),
    ("cut-at-the-end", lambda state: pt(state)[:-20], "is cut short or damaged"),
    ("text", lambda state: b"not a checkpoint\n", "is a text file"),
    ("hostile", lambda state: pt({**state, "epoch": Payload(os.system, "touch SENTINEL")}),
     "holds something other than plain tensors"),
    ("weights-only", lambda state: pt(state["model"]), "not an NN Builder checkpoint"),
    ("no-weights", checkpoint_without("model"), "the checkpoint is damaged: its weights are missing"),
    ("nan-weights", lambda state: pt({**state, "model": {**state["model"], "fc.bias": torch.full((4,), float("nan"))}}),
     "its weights hold NaN or infinite values (fc.bias)"),
    ("no-optimizer", checkpoint_without("optimizer"), "its optimizer state is missing"),
    ("bad-history", checkpoint_with(history=[{"epoch": 1}]), "its record of past epochs is missing or damaged"),
    ("bad-best", checkpoint_with(best={"epoch": 1, "loss": 0.5, "state": {"fc.bias": 3}}), "its record of past epochs"),
    ("bad-rng", checkpoint_with(rng={"torch": torch.zeros(3), "shuffle": torch.zeros(3), "cuda": []}),
     "its random-number state is missing or damaged"),
    ("no-epoch", checkpoint_without("epoch"), "its epoch number is missing"),
    ("stride-0", lambda state: pt({**state, "model": {**state["model"], "fc.bias": torch.zeros(1).expand(2**40)}}),
     "its weights are not what it saves (fc.bias claims more values than it stores)"),
    ("no-version", checkpoint_without("version"), "its version number is missing"),
    ("newer", checkpoint_with(version=99), "written by a newer NN Builder (checkpoint version 99)"),
    ("history-of-numbers", checkpoint_with(history=[1, 2]), "its record of past epochs is missing or damaged"),
]


@pytest.mark.parametrize(("damage", "expected"), [c[1:] for c in RESUME_DAMAGE], ids=[c[0] for c in RESUME_DAMAGE])
def test_resume_from_a_damaged_checkpoint_fails_cleanly_and_touches_nothing(tmp_path, capsys, monkeypatch, trained,
                                                                            damage, expected):
    monkeypatch.chdir(tmp_path)
    project, run = trained
    out = tmp_path / "run"
    shutil.copytree(run, out)
    checkpoint = out / "checkpoint.pt"
    checkpoint.write_bytes(damage(torch.load(checkpoint, weights_only=True)))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert main(["train", str(project), "--out", str(out), "--epochs", "2", "--resume"]) == 1
    data_line, failure = capsys.readouterr().err.splitlines()  # what was read, then one line for the failure
    assert data_line.startswith("synthetic shapes:"), data_line
    assert f"{checkpoint}: " in failure and expected in failure, failure
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not (tmp_path / "SENTINEL").exists()


def test_a_checkpoint_that_is_a_folder(tmp_path):
    (tmp_path / "checkpoint.pt").mkdir()
    with pytest.raises(CheckpointError, match=r"checkpoint.pt: is a folder, not a file; train without --resume"):
        load_checkpoint(tmp_path / "checkpoint.pt")


def test_weights_read_from_a_checkpoint_are_its_model(trained):
    _project, run = trained
    state = load_weights(run / "checkpoint.pt")
    assert state.keys() == good_state().keys()
    for key, value in load_weights(run / "Net.safetensors").items():
        assert torch.equal(state[key], value), key
