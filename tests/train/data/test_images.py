"""Image folders: ImageFolder's layout, ToTensor's values, conversion to the Input, and every error."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
import torch
from data_errors import error_of
from PIL import Image

from builder.train.data import images
from builder.train.data.base import DataError, SourceRequest
from builder.train.data.sources import load_source


def request(folder, spec, input_shape=(1, 8, 8), task="classification", output_shape=(2,), in_memory=None,
            skip_unreadable=False):
    spec = {"kind": "image_folder", **spec}
    return SourceRequest(spec, tuple(input_shape), tuple(output_shape), task, folder, in_memory=in_memory,
                         skip_unreadable=skip_unreadable)


def save(path, array, mode=None) -> np.ndarray:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8), mode).save(path)
    return np.asarray(array, dtype=np.uint8)


def grey(seed: int, h: int = 8, w: int = 8) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)




@pytest.fixture
def digits(tmp_path):
    """digits/ with classes 3 and 7, nested files, hidden and non-image files that must be skipped."""
    root = tmp_path / "digits"
    save(root / "7" / "b.png", grey(1))
    save(root / "7" / "a.png", grey(2))
    save(root / "3" / "z.PNG", grey(3))
    save(root / "3" / "deeper" / "c.bmp", grey(4))
    Image.fromarray(grey(5)).save(root / "3" / "d.jpg", quality=95)
    (root / "3" / "notes.txt").write_text("not an image")
    save(root / "3" / ".hidden.png", grey(6))
    save(root / ".ipynb_checkpoints" / "x.png", grey(7))
    save(root / "3" / ".cache" / "y.png", grey(8))
    return root


def test_classification_follows_the_image_folder_layout(tmp_path, digits):
    data = load_source(request(tmp_path, {"path": "digits"}))
    assert data.classes == ["3", "7"]
    relative = [p.relative_to(digits).as_posix() for p in data.files]
    assert relative == ["3/d.jpg", "3/deeper/c.bmp", "3/z.PNG", "7/a.png", "7/b.png"]
    x, y = data.tensors
    assert x.shape == (5, 1, 8, 8) and x.dtype == torch.float32
    assert y.tolist() == [0, 0, 0, 1, 1] and y.dtype == torch.int64
    assert data.description == "image folder digits/: 5 images in 2 classes, read as 1×8×8"


def test_pixels_are_read_as_to_tensor_reads_them(tmp_path, digits):
    x, _ = load_source(request(tmp_path, {"path": "digits"})).tensors
    assert torch.equal(x[3, 0], torch.from_numpy(grey(2)).float() / 255)  # 7/a.png
    assert torch.equal(x[1, 0], torch.from_numpy(grey(4)).float() / 255)  # 3/deeper/c.bmp
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_colour_images_become_grey_as_pillow_converts_them(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    save(tmp_path / "c" / "a" / "1.png", rgb)
    save(tmp_path / "c" / "b" / "2.png", rgb[::-1])
    x, _ = load_source(request(tmp_path, {"path": "c"})).tensors
    expected = np.array(Image.fromarray(rgb).convert("L"))
    assert torch.equal(x[0, 0], torch.from_numpy(expected).float() / 255)


def test_grey_images_become_rgb_and_rgba_for_colour_inputs(tmp_path, digits):
    x, _ = load_source(request(tmp_path, {"path": "digits"}, input_shape=(3, 8, 8))).tensors
    assert x.shape == (5, 3, 8, 8)
    assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 1], x[:, 2])
    x4, _ = load_source(request(tmp_path, {"path": "digits"}, input_shape=(4, 8, 8))).tensors
    assert x4.shape == (5, 4, 8, 8) and torch.all(x4[:, 3] == 1.0)  # opaque


def test_images_are_resized_bilinearly_to_the_input(tmp_path):
    big = grey(9, h=20, w=30)
    save(tmp_path / "r" / "a" / "1.png", big)
    save(tmp_path / "r" / "b" / "2.png", big)
    x, _ = load_source(request(tmp_path, {"path": "r"}, input_shape=(1, 6, 10))).tensors
    expected = np.array(Image.fromarray(big).resize((10, 6), Image.Resampling.BILINEAR))
    assert x.shape == (2, 1, 6, 10)
    assert torch.equal(x[0, 0], torch.from_numpy(expected).float() / 255)


def test_lazy_and_in_memory_reading_give_identical_samples(tmp_path, digits):
    eager = load_source(request(tmp_path, {"path": "digits"}, input_shape=(3, 5, 6), in_memory=True))
    lazy = load_source(request(tmp_path, {"path": "digits"}, input_shape=(3, 5, 6), in_memory=False))
    assert eager.tensors is not None and lazy.tensors is None
    assert "from disk as needed" in lazy.description
    assert len(lazy.dataset) == len(eager.dataset) == 5
    for i in range(5):
        (xe, ye), (xl, yl) = eager.dataset[i], lazy.dataset[i]
        assert torch.equal(xe, xl) and torch.equal(ye, yl)
        assert xl.dtype == torch.float32 and yl.dtype == torch.int64 and yl.shape == ()
    assert eager.classes == lazy.classes and eager.files == lazy.files


def test_large_folders_are_read_lazily_by_default(tmp_path, digits, monkeypatch):
    assert load_source(request(tmp_path, {"path": "digits"})).tensors is not None
    monkeypatch.setattr(images, "IN_MEMORY_LIMIT", 5 * 64 * 4 - 1)  # one byte short of the 5 images
    assert load_source(request(tmp_path, {"path": "digits"})).tensors is None


def test_many_files_are_decoded_in_order(tmp_path):
    for i in range(70):  # several chunks
        save(tmp_path / "many" / f"c{i % 3}" / f"{i:03}.png", np.full((8, 8), i, dtype=np.uint8))
    data = load_source(request(tmp_path, {"path": "many"}))
    x, y = data.tensors
    expected = [int(p.stem) for p in data.files]
    assert (x[:, 0, 0, 0] * 255).round().int().tolist() == expected
    assert y.tolist() == [int(p.parent.name[1]) for p in data.files]


def test_reconstruction_takes_images_directly_in_the_folder_or_below(tmp_path):
    save(tmp_path / "faces" / "b.png", grey(1))
    save(tmp_path / "faces" / "sub" / "a.png", grey(2))
    data = load_source(request(tmp_path, {"path": "faces"}, task="reconstruction"))
    assert data.tensors[1] is None and data.classes is None and len(data.dataset) == 2
    x, target = data.dataset[1]
    assert torch.equal(x, target)
    lazy = load_source(request(tmp_path, {"path": "faces"}, task="reconstruction", in_memory=False))
    assert torch.equal(lazy.dataset[1][1], x)


def test_regression_targets_are_images_with_the_same_names(tmp_path):
    save(tmp_path / "photos" / "a.png", grey(1))
    save(tmp_path / "photos" / "sub" / "b.jpg", grey(2))
    save(tmp_path / "masks" / "a.png", np.random.default_rng(3).integers(0, 256, (8, 8, 3)))
    save(tmp_path / "masks" / "sub" / "b.png", grey(4))  # another extension, the same name
    spec = {"path": "photos", "targets": "masks"}
    eager = load_source(request(tmp_path, spec, task="regression", output_shape=(1, 4, 4)))
    x, y = eager.tensors
    assert x.shape == (2, 1, 8, 8) and y.shape == (2, 1, 4, 4) and y.dtype == torch.float32
    lazy = load_source(request(tmp_path, spec, task="regression", output_shape=(1, 4, 4), in_memory=False))
    assert torch.equal(lazy.dataset[1][1], y[1]) and torch.equal(lazy.dataset[0][0], x[0])


def test_a_missing_regression_target_is_named(tmp_path):
    save(tmp_path / "photos" / "a.png", grey(1))
    (tmp_path / "masks").mkdir()
    req = request(tmp_path, {"path": "photos", "targets": "masks"}, task="regression", output_shape=(1, 8, 8))
    assert error_of(req) == "masks/a.png: missing: every image needs a target with the same name"
    no_key = request(tmp_path, {"path": "photos"}, task="regression", output_shape=(1, 8, 8))
    assert "image_folder needs 'targets' for regression" in error_of(no_key)


def test_a_missing_folder_or_a_file_instead(tmp_path):
    assert error_of(request(tmp_path, {"path": "digits"})) == "digits/: no such folder"
    (tmp_path / "digits.png").write_bytes(b"x")
    assert error_of(request(tmp_path, {"path": "digits.png"})) == "digits.png: is a file, not a folder of images"


def test_classification_needs_class_folders_with_images(tmp_path):
    save(tmp_path / "flat" / "a.png", grey(1))
    message = error_of(request(tmp_path, {"path": "flat"}))
    assert message.startswith("flat/: no class folders with images")
    (tmp_path / "flat" / "empty").mkdir()
    assert error_of(request(tmp_path, {"path": "flat"})).startswith("flat/: no class folders with images")


def test_a_class_folder_without_images_is_named(tmp_path, digits):
    (digits / "9").mkdir()
    (digits / "9" / "readme.txt").write_text("-")
    assert error_of(request(tmp_path, {"path": "digits"})) == "digits/9: no images (.png, .jpg, .jpeg, .bmp)"


def test_a_folder_without_any_images_for_reconstruction(tmp_path):
    (tmp_path / "nothing").mkdir()
    message = error_of(request(tmp_path, {"path": "nothing"}, task="reconstruction"))
    assert message == "nothing/: no images (.png, .jpg, .jpeg, .bmp)"


def test_an_empty_image_file_is_named(tmp_path, digits):
    (digits / "3" / "img7.png").write_bytes(b"")
    message = error_of(request(tmp_path, {"path": "digits"}))
    assert message == ("digits/: 1 file cannot be read as images: digits/3/img7.png: cannot be read as an image: the "
                       "file is empty (0 bytes). Fix or remove them, or set data.skip_unreadable to leave them out")


def test_a_file_that_is_not_an_image_is_named(tmp_path, digits):
    (digits / "3" / "img7.png").write_bytes(b"this is not a png at all")
    message = error_of(request(tmp_path, {"path": "digits"}))
    assert "digits/3/img7.png: cannot be read as an image: not a format Pillow knows" in message


def test_a_truncated_image_is_named_with_pillows_reason(tmp_path, digits):
    save(tmp_path / "whole.png", grey(1, h=64, w=64))
    data = (tmp_path / "whole.png").read_bytes()
    (digits / "3" / "img7.png").write_bytes(data[: len(data) // 2])
    message = error_of(request(tmp_path, {"path": "digits"}))
    assert "digits/3/img7.png: cannot be read as an image: image file is truncated" in message


def test_a_lazy_read_names_the_file_that_fails(tmp_path, digits):
    data = load_source(request(tmp_path, {"path": "digits"}, in_memory=False))
    (digits / "7" / "a.png").write_bytes(b"broken")
    with pytest.raises(DataError, match=r"^digits/7/a.png: cannot be read as an image"):
        data.dataset[3]
    (digits / "7" / "a.png").unlink()
    with pytest.raises(DataError, match=r"^digits/7/a.png: no such file"):
        data.dataset[3]


def test_the_input_must_be_an_image_with_1_3_or_4_channels(tmp_path, digits):
    assert "but the model's Input takes 64" in error_of(request(tmp_path, {"path": "digits"}, input_shape=(64,)))
    message = error_of(request(tmp_path, {"path": "digits"}, input_shape=(2, 8, 8)))
    assert message == (
        "image_folder reads images with 1 (grey), 3 (RGB) or 4 (RGBA) channels, but the model's Input takes 2 channels"
    )


def test_paths_outside_the_project_folder_are_shown_whole(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    message = error_of(request(project, {"path": str(tmp_path / "elsewhere")}))
    assert message == f"{(tmp_path / 'elsewhere').as_posix()}/: no such folder"


@pytest.mark.parametrize("in_memory", [True, False])
def test_every_unreadable_file_is_named_in_one_pass(tmp_path, digits, in_memory):
    broken = [digits / "3" / "img7.png", digits / "7" / "a.png", digits / "7" / "b.png"]
    for path in broken:
        path.write_bytes(b"broken")
    message = error_of(request(tmp_path, {"path": "digits"}, in_memory=in_memory))
    assert message.startswith("digits/: 3 files cannot be read as images: ")
    assert all(f"digits/{p.parent.name}/{p.name}: cannot be read as an image" in message for p in broken)
    assert message.endswith("set data.skip_unreadable to leave them out")


def test_many_unreadable_files_are_named_up_to_a_limit_and_counted(tmp_path, digits):
    for extra in range(15):
        (digits / "3" / f"more{extra:02d}.png").write_bytes(b"broken")
    message = error_of(request(tmp_path, {"path": "digits"}))
    assert message.startswith("digits/: 15 files cannot be read") and "; and 5 more." in message


@pytest.mark.parametrize("in_memory", [True, False])
def test_skip_unreadable_leaves_them_out_with_a_warning(tmp_path, digits, in_memory):
    readable = len(load_source(request(tmp_path, {"path": "digits"})).dataset)
    (digits / "3" / "img7.png").write_bytes(b"broken")
    data = load_source(request(tmp_path, {"path": "digits"}, in_memory=in_memory, skip_unreadable=True))
    assert len(data.dataset) == readable and digits / "3" / "img7.png" not in data.files
    (warning,) = data.warnings
    assert warning.startswith(f"digits/: left out 1 unreadable file of {readable + 1} (skip_unreadable), e.g. "
                              f"digits/3/img7.png: cannot be read")
    x, _y = data.dataset[len(data.dataset) - 1]
    assert x.shape == (1, 8, 8)


@pytest.fixture
def mixed(tmp_path):
    """300 images of assorted sizes and modes in 3 classes (resized and converted on reading), two broken."""
    rng = np.random.default_rng(0)
    for i in range(300):
        h, w = int(rng.integers(5, 12)), int(rng.integers(5, 12))
        shape = (h, w) if i % 3 else (h, w, 3)
        save(tmp_path / "mixed" / f"c{i % 3}" / f"{i:03}.png", rng.integers(0, 256, shape))
    (tmp_path / "mixed" / "c1" / "broken.png").write_bytes(b"broken")
    (tmp_path / "mixed" / "c2" / "empty.png").write_bytes(b"")
    return tmp_path


def workers_for_any_folder(monkeypatch, cores=2):
    monkeypatch.setattr(images, "PROBE", 10)  # 10 files read here, the rest by workers...
    monkeypatch.setattr(images, "START_SECONDS", dict.fromkeys(images.START_SECONDS, 0.0))  # ...however few
    monkeypatch.setattr(images, "_cores", lambda: cores)  # even on a one-core machine


@pytest.mark.parametrize(("in_memory", "method"), [(True, "fork"), (False, "fork"), (True, "forkserver")])
def test_worker_processes_read_exactly_what_this_process_reads(mixed, monkeypatch, in_memory, method):
    req = request(mixed, {"path": "mixed"}, input_shape=(3, 8, 8), in_memory=in_memory, skip_unreadable=True)
    sequential = load_source(req)
    workers_for_any_folder(monkeypatch, cores=3)
    monkeypatch.setattr(images, "_start_method", lambda: method)  # forkserver: the window's way
    monkeypatch.setattr(images, "CHUNK_BYTES", 8 * 8 * 3 * 7)  # many chunks of 7 files, gathered in order
    parallel = load_source(req)
    assert parallel.files == sequential.files and len(parallel.dataset) == 300
    assert parallel.warnings == sequential.warnings
    assert parallel.warnings[0].startswith("mixed/: left out 2 unreadable files of 302 (skip_unreadable)")
    if in_memory:
        assert torch.equal(parallel.tensors[0], sequential.tensors[0])
        assert torch.equal(parallel.tensors[1], sequential.tensors[1])
    expected = torch.from_numpy(images.read_image(parallel.files[0], "RGB", (8, 8), mixed)).permute(2, 0, 1) / 255
    assert torch.equal(parallel.dataset[0][0], expected)


def test_worker_processes_name_every_bad_file(mixed, monkeypatch):
    workers_for_any_folder(monkeypatch)
    message = error_of(request(mixed, {"path": "mixed"}))
    assert message.startswith("mixed/: 2 files cannot be read as images: mixed/c1/broken.png: cannot be read as an "
                              "image: not a format Pillow knows; mixed/c2/empty.png: cannot be read as an image: the "
                              "file is empty (0 bytes).")


def test_without_worker_processes_the_folder_is_read_here(mixed, monkeypatch):
    def no_processes(*_args, **_kwargs):
        raise OSError(38, "Function not implemented")  # as where a sandbox allows no new processes

    workers_for_any_folder(monkeypatch)
    monkeypatch.setattr(images, "ProcessPoolExecutor", no_processes)
    data = load_source(request(mixed, {"path": "mixed"}, skip_unreadable=True))
    assert len(data.dataset) == 300 and data.tensors[0].shape == (300, 1, 8, 8)


def test_a_small_folder_starts_no_workers(mixed, monkeypatch):
    def no_processes(*_args, **_kwargs):
        raise AssertionError("started workers for a folder that reads faster without them")

    monkeypatch.setattr(images, "_cores", lambda: 8)
    monkeypatch.setattr(images, "ProcessPoolExecutor", no_processes)
    assert len(load_source(request(mixed, {"path": "mixed"}, skip_unreadable=True)).dataset) == 300


def test_workers_are_never_forked_from_another_thread():
    # The window reads data from its threads, and forking a process that runs other threads (Qt's) can leave the
    # child stuck on a lock one of them held.
    seen = []
    thread = threading.Thread(target=lambda: seen.append(images._start_method()))
    thread.start()
    thread.join()
    assert seen == ["spawn" if sys.platform == "win32" else "forkserver"]


def test_skip_unreadable_leaves_out_the_targets_of_the_inputs_left_out(tmp_path):
    for name in ("a", "b", "c"):
        save(tmp_path / "photos" / f"{name}.png", grey(ord(name)))
        save(tmp_path / "masks" / f"{name}.png", grey(ord(name) + 100, h=4, w=4))
    (tmp_path / "photos" / "b.png").write_bytes(b"broken")
    req = request(tmp_path, {"path": "photos", "targets": "masks"}, task="regression", output_shape=(1, 4, 4),
                  skip_unreadable=True)
    x, y = load_source(req).tensors
    assert x.shape == (2, 1, 8, 8) and y.shape == (2, 1, 4, 4)
    assert torch.equal(y[1, 0], torch.from_numpy(grey(ord("c") + 100, h=4, w=4)).float() / 255)
