"""The decoded-image cache: a second read of the same folder comes from it, and only while the files are unchanged;
a damaged entry is rebuilt, never trusted; the cache stays within its bound and lives where the README says."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from data_errors import error_of
from PIL import Image

from builder.train.data import image_cache, images
from builder.train.data.base import SourceRequest
from builder.train.data.image_cache import CACHE_FOLDER, LIMIT_VARIABLE, cache_folder_for
from builder.train.data.sources import load_source

COUNT = 12


def save(path, seed, h=8, w=8):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)).save(path)


@pytest.fixture(autouse=True)
def small_folders_are_cached(monkeypatch):
    monkeypatch.setattr(image_cache, "CACHE_FROM", 1)
    monkeypatch.delenv(LIMIT_VARIABLE, raising=False)


@pytest.fixture
def project(tmp_path):
    """A project folder with a `digits/` image folder of 12 images in 2 classes."""
    for i in range(COUNT):
        save(tmp_path / "digits" / f"c{i % 2}" / f"{i:02}.png", i)
    return tmp_path


def request(folder, path="digits", input_shape=(1, 8, 8), cached=True, **options):
    cache = cache_folder_for(folder / "project.json") if cached else None
    return SourceRequest({"kind": "image_folder", "path": path, **options.pop("spec", {})}, input_shape,
                         options.pop("output_shape", (2,)), options.pop("task", "classification"), folder,
                         cache_folder=cache, **options)


def entries(project):
    return sorted((project / CACHE_FOLDER / "images").glob("*.npy"))


def not_decoded(monkeypatch):
    """From here on, decoding any image fails the test: what is read must come from the cache."""
    def refuse(*_args):
        raise AssertionError("decoded images although they were in the cache")

    monkeypatch.setattr(images, "_in_chunks", refuse)


def test_a_second_read_comes_from_the_cache_and_is_identical(project, monkeypatch):
    first = load_source(request(project))
    assert f"; decoded {COUNT} images in " in first.description
    assert first.description.endswith(", kept in .builder-cache/images/ for the next run")
    not_decoded(monkeypatch)
    second = load_source(request(project))
    assert f"read {COUNT} images from the cache in" in second.description
    assert torch.equal(first.tensors[0], second.tensors[0]) and torch.equal(first.tensors[1], second.tensors[1])
    assert second.tensors[0].dtype == torch.float32 and second.files == first.files
    assert second.classes == ["c0", "c1"]


def test_the_cache_lives_beside_the_project_file_or_else_beside_the_data(project):
    load_source(request(project))
    assert len(entries(project)) == 1
    assert (project / CACHE_FOLDER / ".gitignore").read_text().splitlines()[-1] == "*"  # never committed
    (project / "data").mkdir()
    (project / "digits").rename(project / "data" / "digits")
    load_source(request(project, path="data/digits", cached=False))  # no project file: beside the data folder
    assert len(list((project / "data" / CACHE_FOLDER / "images").glob("*.npy"))) == 1
    assert cache_folder_for(None) is None


def test_other_reading_settings_are_other_entries(project, monkeypatch):
    grey = load_source(request(project)).tensors[0]
    colour = load_source(request(project, input_shape=(3, 4, 4))).tensors[0]
    assert len(entries(project)) == 2
    not_decoded(monkeypatch)
    assert torch.equal(load_source(request(project)).tensors[0], grey)
    assert torch.equal(load_source(request(project, input_shape=(3, 4, 4))).tensors[0], colour)


def test_a_changed_file_is_read_again(project):
    load_source(request(project))
    changed = project / "digits" / "c1" / "03.png"
    save(changed, 99)
    os.utime(changed, ns=(1, 1))  # another modification time, whatever the clock's resolution
    data = load_source(request(project))
    assert "kept in .builder-cache/images/" in data.description
    expected = torch.from_numpy(np.array(Image.open(changed))).float() / 255
    assert torch.equal(data.tensors[0][data.files.index(changed), 0], expected)
    assert len(entries(project)) == 1  # rewritten in place, not one more entry


def test_an_added_or_removed_file_is_seen(project):
    load_source(request(project))
    save(project / "digits" / "c0" / "new.png", 50)
    assert len(load_source(request(project)).dataset) == COUNT + 1
    (project / "digits" / "c0" / "00.png").unlink()
    (project / "digits" / "c0" / "new.png").unlink()
    data = load_source(request(project))
    assert len(data.dataset) == COUNT - 1 and project / "digits" / "c0" / "00.png" not in data.files


@pytest.mark.parametrize("damage", ["truncated", "bytes changed", "emptied", "manifest garbled", "manifest gone"])
def test_a_damaged_entry_is_rebuilt_not_trusted(project, damage):
    expected = load_source(request(project)).tensors[0]
    (npy,) = entries(project)
    manifest = npy.with_suffix(".json")
    whole = npy.read_bytes()
    if damage == "truncated":
        npy.write_bytes(whole[: len(whole) // 2])
    elif damage == "bytes changed":
        npy.write_bytes(whole[:-5] + bytes(255 - b for b in whole[-5:]))
    elif damage == "emptied":
        npy.write_bytes(b"")
    elif damage == "manifest garbled":
        manifest.write_text('{"format": 1, "count": ')
    else:
        manifest.unlink()
    data = load_source(request(project))
    assert "kept in .builder-cache/images/" in data.description  # read from the images again
    assert torch.equal(data.tensors[0], expected)
    assert npy.read_bytes() == whole  # and the entry made whole again


def test_the_bound_evicts_the_entries_used_longest_ago(project, monkeypatch):
    sizes = [(1, 8, 8), (1, 6, 6), (1, 4, 4)]
    for shape in sizes[:2]:
        load_source(request(project, input_shape=shape))
    grey8, grey6 = entries_by_size(project)[8], entries_by_size(project)[6]
    os.utime(grey8.with_suffix(".json"), (1000, 1000))  # used long ago...
    os.utime(grey6.with_suffix(".json"), (2000, 2000))
    load_source(request(project, input_shape=(1, 8, 8)))  # ...and just now, from the cache: now the newest
    both = sum(p.stat().st_size for p in entries(project))
    monkeypatch.setattr(image_cache, "limit_bytes", lambda: both + 1)  # room for two of them, not three
    load_source(request(project, input_shape=(1, 4, 4)))
    assert set(entries_by_size(project)) == {8, 4}  # 6×6, used longest ago, went


def entries_by_size(project):
    return {json.loads(p.with_suffix(".json").read_text())["size"][0]: p for p in entries(project)}


def test_an_entry_larger_than_the_bound_is_not_written(project, monkeypatch):
    monkeypatch.setattr(image_cache, "limit_bytes", lambda: 100)
    data = load_source(request(project))
    assert "; not cached: 1 MB is more than the cache's 0 MB (BUILDER_IMAGE_CACHE_MB)" in data.description
    assert entries(project) == [] and len(data.dataset) == COUNT


def test_the_bound_comes_from_the_environment(project, monkeypatch):
    monkeypatch.setenv(LIMIT_VARIABLE, "0")
    data = load_source(request(project))
    assert not (project / CACHE_FOLDER).exists() and "cache" not in data.description
    monkeypatch.setenv(LIMIT_VARIABLE, "lots")
    assert error_of(request(project)) == ("BUILDER_IMAGE_CACHE_MB must be a whole number of megabytes (0 turns the "
                                          "image cache off), got 'lots'")
    assert image_cache.limit_bytes({LIMIT_VARIABLE: "3"}) == 3 * 1024**2
    assert image_cache.limit_bytes({}) == 2048 * 1024**2


def test_a_cache_that_cannot_be_written_does_not_stop_the_read(project):
    (project / CACHE_FOLDER).write_text("a file where the cache folder would go")
    data = load_source(request(project))
    assert len(data.dataset) == COUNT
    assert f"decoded {COUNT} images in" in data.description and "not cached: " in data.description


def test_small_folders_are_not_cached(project, monkeypatch):
    monkeypatch.setattr(image_cache, "CACHE_FROM", COUNT + 1)
    data = load_source(request(project))
    assert not (project / CACHE_FOLDER).exists()
    assert data.description == f"image folder digits/: {COUNT} images in 2 classes, read as 1×8×8"


def test_unreadable_files_are_named_again_from_the_cache(project, monkeypatch):
    (project / "digits" / "c1" / "bad.png").write_bytes(b"not a png")
    first = load_source(request(project, skip_unreadable=True))
    second = load_source(request(project, skip_unreadable=True))
    assert "from the cache" in second.description
    assert second.warnings == first.warnings and "digits/c1/bad.png: cannot be read" in second.warnings[0]
    assert torch.equal(first.tensors[0], second.tensors[0]) and len(second.dataset) == COUNT
    assert "digits/c1/bad.png: cannot be read as an image" in error_of(request(project))


def test_regression_targets_are_cached_too(project, monkeypatch):
    for i in range(COUNT):
        save(project / "masks" / f"c{i % 2}" / f"{i:02}.png", 100 + i, h=4, w=4)
    spec = {"targets": "masks"}
    first = load_source(request(project, task="regression", spec=spec, output_shape=(1, 4, 4)))
    assert len(entries(project)) == 2
    not_decoded(monkeypatch)
    second = load_source(request(project, task="regression", spec=spec, output_shape=(1, 4, 4)))
    assert torch.equal(first.tensors[1], second.tensors[1]) and second.tensors[1].shape == (COUNT, 1, 4, 4)


def test_a_folder_read_lazily_is_not_cached(project):
    data = load_source(request(project, in_memory=False))
    assert data.tensors is None and not (project / CACHE_FOLDER).exists()
