"""The layering holds: core and blocks load without torch or Qt; only the UI touches Qt."""

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = """
import sys
import builder.core.project, builder.core.structure, builder.blocks.check, builder.edit.editor, builder.edit.recovery
bad = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'PySide6', 'pyqtgraph'})
print(bad)
"""


def test_core_blocks_and_edit_import_neither_torch_nor_qt():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_import_contracts_hold(monkeypatch):
    """The contracts in pyproject.toml: core -> blocks -> compile -> train -> (cli, ui), Qt in ui only."""
    cli = pytest.importorskip("importlinter.cli")
    monkeypatch.chdir(Path(__file__).parent.parent)
    assert cli.lint_imports(no_cache=True) == cli.EXIT_STATUS_SUCCESS
