"""Which device training runs on, and what it can do."""

from __future__ import annotations

import torch

from builder.core.i18n import tr


class DeviceError(Exception):
    """A device the project asks for that this machine does not have."""


def resolve_device(name: str) -> torch.device:
    """`auto` is the first CUDA GPU when there is one, else the CPU; others must exist. `cuda:all` (every GPU, a
    process each: distributed.py) is the first GPU here, where one process prepares the run."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device("cuda" if name == "cuda:all" else name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            if torch.version.cuda is None:
                raise DeviceError(tr("device '{name}': no CUDA GPU is available here (torch {torch} is built without "
                                     "CUDA support); use 'cpu' or 'auto'", name=name, torch=torch.__version__))
            raise DeviceError(tr("device '{name}': no CUDA GPU is available here (torch {torch} is built with CUDA "
                                 "{cuda}); use 'cpu' or 'auto'", name=name, torch=torch.__version__,
                                 cuda=torch.version.cuda))
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise DeviceError(tr("device '{name}': this machine has {count} CUDA GPU(s), numbered from 0", name=name,
                                 count=torch.cuda.device_count()))
        device = torch.device("cuda", index)
    return device


def available_devices() -> list[tuple[str, str]]:
    """(value for the project file, label for people): the CPU and each CUDA GPU by name."""
    devices = [("cpu", "CPU")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            devices.append((f"cuda:{i}", f"cuda:{i}: {torch.cuda.get_device_name(i)}"))
        if torch.cuda.device_count() > 1:  # trained by a process per GPU (distributed.py)
            devices.append(("cuda:all", tr("all {count} GPUs ({name}), one process each", count=torch.cuda.device_count(),
                                           name=torch.cuda.get_device_name(0))))
    return devices


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def autocast_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 where the GPU has it (no loss scaling needed), else float16."""
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
