"""The weights a run leaves (or a file loads), with the code they fit, and what can be done with them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.compile.codegen import GeneratedCode
from builder.train.events import EpochRecord
from builder.train.outputs import export_weights_and_code
from builder.train.showcase import GeneratedImages


@dataclass
class TrainedModel:
    model_name: str
    code: GeneratedCode
    state: dict[str, Any]  # on the CPU
    history: list[EpochRecord] = field(default_factory=list)
    # A classifier's class names, by label (from the run's data), and whether it gives one output for two classes
    # (BCE losses) rather than one score per class. Keyword-only: TrainedGan's own fields keep their places.
    classes: list[str] | None = field(default=None, kw_only=True)
    single_output: bool = field(default=False, kw_only=True)

    @property
    def class_name(self) -> str:
        return self.code.class_names[self.model_name]

    def export_folder(self, folder: Path) -> list[Path]:
        """The code, the weights (.pt and .safetensors), a README on loading them and, for a classifier,
        classes.json (its class names, by label)."""
        return export_weights_and_code(folder, self.code, self.model_name, self.state, readme=True,
                                       classes=self.classes, single_output=self.single_output)

    def generate(self) -> GeneratedImages | None:
        """New images from the model, for a generator; a supervised model makes none."""
        return None
