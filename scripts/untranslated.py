"""Find user-visible English that is not marked for translation: `python scripts/untranslated.py [PATH ...]`.

Reads the source (never imports it) and reports, file:line, every sentence given as a literal to a place the
user reads: a widget's text, tooltip or title, a dialog, the status bar, print, a Problem, an exception's message,
argparse's help. A sentence is a literal with a space and a word of letters in it, or an f-string with words
outside its {values}; a lone name (`Conv2d`, `in_channels`) is not one. Wrapped in tr(), trn() or N_(), it is
marked (tests/test_translations.py checks that marked messages are translated).

Not found here: text built elsewhere and passed in a variable. The window-walk test catches what shows.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

MARKERS = {"tr", "trn", "N_"}
# Calls whose literal arguments the user reads (by the called name: a function, a method or a class).
SINKS = {
    # Qt widgets and their texts
    "setText", "setToolTip", "setWindowTitle", "setPlaceholderText", "setStatusTip", "setWhatsThis", "addAction",
    "addMenu", "addTab", "insertTab", "setTabText", "setTabToolTip", "setHorizontalHeaderLabels",
    "setVerticalHeaderLabels", "setHeaderLabels", "setTitle", "showMessage", "setFormat", "setLabelText",
    "setSpecialValueText", "setSuffix", "setPrefix", "setItemText", "setLabel", "setWindowIconText",
    "QLabel", "QPushButton", "QAction", "QCheckBox", "QRadioButton", "QGroupBox", "QMenu", "QToolButton",
    "QListWidgetItem", "QTableWidgetItem", "QTreeWidgetItem", "QMessageBox", "question", "information",
    "warning", "critical", "getText", "getOpenFileName", "getSaveFileName", "getExistingDirectory",
    # the window's own ways to tell the user
    "status", "error", "info", "yes_no", "rich_text", "show_message", "show_waiting", "_show_message",
    # declarations whose help and descriptions the user reads (marked with N_, translated where shown)
    "Param", "BlockSpec", "LossSpec", "OptimizerSpec", "ScheduleSpec", "SourceKind", "Template",
    # everywhere
    "print", "fail", "Problem", "add_argument", "add_parser", "ArgumentParser", "_Parser",
}
KEYWORDS = {"help", "description", "epilog", "usage", "title", "text", "message", "label", "tooltip", "hint",
            "name"}
WORD = re.compile(r"[A-Za-z]{2,}")


def called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def is_sentence(node: ast.AST) -> bool:
    """A literal the user would read as English words."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.strip()
        return " " in text and WORD.search(text) is not None
    if isinstance(node, ast.JoinedStr):
        literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        return WORD.search(literal) is not None and (" " in literal.strip() or len(WORD.findall(literal)) > 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return is_sentence(node.left) or is_sentence(node.right)
    if isinstance(node, ast.IfExp):
        return is_sentence(node.body) or is_sentence(node.orelse)
    return False


class Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []
        self._marked = 0  # inside tr(...): its literals are marked

    def visit_Call(self, call: ast.Call) -> None:  # noqa: N802 - ast's naming
        name = called_name(call)
        if name in MARKERS:
            self._marked += 1
            self.generic_visit(call)
            self._marked -= 1
            return
        if not self._marked and (name in SINKS or name.endswith(("Error", "Exception"))):
            arguments = [*call.args, *(k.value for k in call.keywords if k.arg in KEYWORDS or name in SINKS)]
            for argument in arguments:
                for literal in _literals(argument):
                    if is_sentence(literal):
                        self.found.append((literal.lineno, _shown(literal)))
        self.generic_visit(call)

    def visit_Raise(self, node: ast.Raise) -> None:  # noqa: N802
        self.generic_visit(node)


def _literals(node: ast.AST) -> Iterator[ast.AST]:
    """The literals an argument is made of (a list of messages, a conditional, a sum)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            yield from _literals(element)
    elif isinstance(node, ast.Call) and called_name(node) in MARKERS:
        return
    else:
        yield node


def _shown(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 90 else text[:87] + "..."


def unmarked(path: Path) -> list[tuple[int, str]]:
    finder = Finder()
    finder.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return sorted(finder.found)


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path(__file__).resolve().parent.parent / "builder"]
    files = [f for root in roots for f in ([root] if root.is_file() else sorted(root.rglob("*.py")))]
    total = 0
    for path in files:
        for line, text in unmarked(path):
            shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
            print(f"{shown}:{line}: {text}")
            total += 1
    print(f"{total} unmarked sentence{'s' * (total != 1)} in {len(files)} files", file=sys.stderr)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
