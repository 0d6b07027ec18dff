"""How much of torchvision's classification models `builder import` takes: one row per model.

    python scripts/import_coverage.py [--size 224] [--only resnet18,vgg11] [--markdown OUT.md]

Each model is built with random weights (googlenet and inception_v3 without their training-only auxiliary
heads), imported with the same code as `builder import`, and reported: imported or why not (the missing
block or operation), whether the generated code's state_dict keys are the original's, the largest output
difference in eval mode, and the import time. torchvision must match torch exactly, and the project's CPU
torch has no matching torchvision wheel: run this in a separate environment, e.g.

    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch==2.14.1 torchvision==0.29.1 networkx safetensors
    PYTHONPATH=. /tmp/tv/bin/python scripts/import_coverage.py --markdown import-coverage.md
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

import torch  # noqa: E402

from builder.compile import build_classes, generate_code  # noqa: E402
from builder.importer.network import import_loaded  # noqa: E402
from builder.importer.source import ImportRefusal, construct  # noqa: E402

FAMILIES = ("resnet", "resnext", "wide_resnet", "vgg", "mobilenet", "squeezenet", "densenet", "shufflenet",
            "mnasnet", "regnet", "efficientnet", "googlenet", "inception", "alexnet", "convnext")
NO_AUX = {"googlenet": {"aux_logits": False, "init_weights": False}, "inception_v3": {"aux_logits": False,
                                                                                      "init_weights": False}}
SIZES = {"inception_v3": 299}
MAX_PARAMETERS = 200_000_000  # larger ones (regnet_y_128gf) need more memory than this machine's share


def main() -> int:
    import torchvision

    parser = argparse.ArgumentParser(description="Import torchvision's classification models and report.")
    parser.add_argument("--size", type=int, default=224, help="input height and width (default 224)")
    parser.add_argument("--only", help="comma-separated model names")
    parser.add_argument("--markdown", help="also write the table as Markdown to this file")
    args = parser.parse_args()
    names = [n for n in torchvision.models.list_models(module=torchvision.models) if n.startswith(FAMILIES)]
    if args.only:
        names = [n for n in args.only.split(",") if n]
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, {len(names)} models", flush=True)
    rows = []
    for name in names:
        row = _import(torchvision, name, SIZES.get(name, args.size))
        rows.append(row)
        print(" | ".join(row), flush=True)
        gc.collect()
    imported = sum(r[1] == "yes" for r in rows)
    summary = f"{imported} of {len(rows)} imported with the original's outputs and state_dict keys"
    print(summary)
    if args.markdown:
        header = "| model | imported | state_dict keys equal | max output difference | import time | note |\n" \
                 "|---|---|---|---|---|---|\n"
        body = "".join(f"| {' | '.join(r)} |\n" for r in rows)
        Path(args.markdown).write_text(header + body + f"\n{summary}.\n")
    return 0


def _import(torchvision, name: str, size: int) -> list[str]:
    torch.manual_seed(0)
    loaded = construct(lambda: torchvision.models.get_model(name, weights=None, **NO_AUX.get(name, {})))
    count = sum(p.numel() for p in loaded.module.parameters())
    note = "without the auxiliary heads" if name in NO_AUX else ""
    if count > MAX_PARAMETERS:
        return [name, "not tried", "", "", "", f"{count / 1e6:.0f} M parameters: too large for this machine"]
    for buffer in loaded.module.buffers():  # running statistics that are not 0 and 1
        if buffer.dtype.is_floating_point:
            buffer.uniform_(0.5, 1.5)
    start = time.perf_counter()
    try:
        imported = import_loaded(loaded, [[3, size, size]])
    except ImportRefusal as exc:
        return [name, "no", "", "", f"{time.perf_counter() - start:.1f} s", _short(str(exc))]
    seconds = time.perf_counter() - start
    project = imported.project
    generated = build_classes(generate_code(project, [project.models[0].name]))[project.models[0].name]()
    same_keys = list(generated.state_dict()) == list(loaded.module.state_dict())
    return [name, "yes", "yes" if same_keys else "same set, other order", f"{imported.max_difference:.1e}",
            f"{seconds:.1f} s", note]


def _short(text: str) -> str:
    text = text.replace("|", "/").replace("\n", " ")
    for prefix in (str(REPOSITORY) + "/",):
        text = text.replace(prefix, "")
    site = text.find("site-packages/")
    while site >= 0:
        start = text.rfind(" ", 0, site) + 1
        text = text[:start] + text[site + len("site-packages/"):]
        site = text.find("site-packages/")
    return text[:300]


if __name__ == "__main__":
    sys.exit(main())
