"""The one registry of block types. Each block is declared once, in its category's module."""

from __future__ import annotations

from collections.abc import Iterator

from builder.blocks import activation, conv, io, linear, merge, norm, pool, regularization, resize, shape
from builder.blocks.spec import CATEGORIES, BlockSpec


class Registry:
    def __init__(self) -> None:
        self._specs: dict[str, BlockSpec] = {}
        self._aliases: dict[str, str] = {}

    def register(self, spec: BlockSpec) -> BlockSpec:
        for name in (spec.type, *spec.legacy_names):
            if name in self._specs or name in self._aliases:
                raise ValueError(f"block type '{name}' is declared twice")
        self._specs[spec.type] = spec
        for old in spec.legacy_names:
            self._aliases[old] = spec.type
        return spec

    def get(self, type_name: str) -> BlockSpec | None:
        """The spec for a type name, also under a legacy name it had in older project files."""
        return self._specs.get(type_name) or self._specs.get(self._aliases.get(type_name, ""))

    def __getitem__(self, type_name: str) -> BlockSpec:
        spec = self.get(type_name)
        if spec is None:
            raise KeyError(type_name)
        return spec

    def __iter__(self) -> Iterator[BlockSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def names(self) -> list[str]:
        return list(self._specs)

    def by_category(self) -> dict[str, list[BlockSpec]]:
        groups: dict[str, list[BlockSpec]] = {c: [] for c in CATEGORIES}
        for spec in self:
            groups[spec.category].append(spec)
        return {c: specs for c, specs in groups.items() if specs}


BLOCKS = Registry()
for _module in (io, conv, norm, activation, pool, linear, shape, regularization, resize, merge):
    for _spec in _module.BLOCKS:
        BLOCKS.register(_spec)
