"""Which devices a run can be given: the window's list, and what a setting resolves to (CUDA faked where the
machine has none: what is checked is what the list and the resolution make of the GPUs torch reports)."""

import pytest
import torch

from builder.train.checks import check_project
from builder.train.devices import DeviceError, available_devices, resolve_device


@pytest.fixture
def two_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake GPU")


def test_with_several_gpus_the_list_offers_all_of_them(two_gpus):
    assert available_devices() == [("cpu", "CPU"), ("cuda:0", "cuda:0: Fake GPU"), ("cuda:1", "cuda:1: Fake GPU"),
                                   ("cuda:all", "all 2 GPUs (Fake GPU), one process each")]
    assert resolve_device("cuda:all") == torch.device("cuda", 0)  # where the launching process prepares the run


def test_with_one_gpu_or_none_there_is_no_all(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake GPU")
    assert [value for value, _label in available_devices()] == ["cpu", "cuda:0"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert available_devices() == [("cpu", "CPU")]
    with pytest.raises(DeviceError, match="cuda:all"):
        resolve_device("cuda:all")


def test_a_gan_cannot_take_every_gpu(two_gpus):
    from nets import small_gan_project

    project = small_gan_project(samples=20, epochs=1, device="cuda:all")
    assert any("cuda:all trains a supervised model" in str(p) for p in check_project(project).errors)
