"""`builder blocks`: the reference comes from the registry, and docs/blocks.md is kept in step with it."""

from pathlib import Path

from builder.blocks.registry import BLOCKS
from builder.cli import main
from builder.cli.blocks_cmd import reference_markdown


def test_every_block_and_parameter_is_listed(capsys):
    assert main(["blocks"]) == 0
    out = capsys.readouterr().out
    for spec in BLOCKS:
        assert f"  {spec.type}: {spec.description}" in out
        for param in spec.params:
            assert f"{param.name} = " in out


def test_committed_reference_matches_the_registry():
    committed = Path(__file__).parents[2] / "docs" / "blocks.md"
    assert committed.read_text() == reference_markdown(), "run: builder blocks --markdown > docs/blocks.md"
