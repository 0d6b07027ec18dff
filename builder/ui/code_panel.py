"""The code view: the generated Python of the model shown, live, read-only, highlighted."""

from __future__ import annotations

import keyword
import re

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QGuiApplication, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from builder.core.i18n import tr
from builder.edit.session import Session
from builder.ui import theme
from builder.ui.torch_loader import TorchLoader


def _format(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(700)
    fmt.setFontItalic(italic)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    RULES = [
        (re.compile(r"\b(" + "|".join(keyword.kwlist) + r")\b"), _format("#c792ea", bold=True)),
        (re.compile(r"\b(self|super|True|False|None)\b"), _format("#ff9e64")),
        (re.compile(r"\b(nn|torch|F)\b"), _format("#7dcfff")),
        (re.compile(r"\b\d+(\.\d+)?([eE][-+]?\d+)?\b"), _format("#f78c6c")),
        (re.compile(r"\bdef\s+(\w+)|\bclass\s+(\w+)"), _format("#82aaff", bold=True)),
        (re.compile(r"'[^']*'|\"[^\"]*\""), _format("#c3e88d")),
        (re.compile(r"#.*$"), _format("#6b7a8f", italic=True)),
    ]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt's name)
        for pattern, fmt in self.RULES:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)


class CodePanel(QWidget):
    """Regenerated a moment after the last edit (not on every keystroke), and only when visible."""

    def __init__(self, session: Session, parent: QWidget | None = None, torch: TorchLoader | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.torch = torch  # the generator needs torch: while it loads in the background, the panel says so
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        self.status = QLabel()
        self.status.setProperty("role", "hint")
        self.copy_button = QPushButton(tr("Copy"))
        self.copy_button.setToolTip(tr("Copy the generated code to the clipboard"))
        top.addWidget(self.status, 1)
        top.addWidget(self.copy_button)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(theme.mono_font())
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = PythonHighlighter(self.text.document())
        layout.addLayout(top)
        layout.addWidget(self.text)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self._on_timer)
        session.checked.connect(lambda _report: self._timer.start())
        self.copy_button.clicked.connect(self.copy)
        self.update_code()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._timer.start()

    def _on_timer(self) -> None:
        """A hidden panel (its dock closed, or behind another tab) is regenerated when shown, not after each edit:
        the code of a model of thousands of blocks takes a good part of a second."""
        if self.isVisible():
            self.update_code()

    def update_code(self) -> None:
        if self.torch is not None and not self.torch.ready:
            self.torch.when_loaded(self.update_code)
            self.status.setText(self.torch.why_waiting())
            return
        from builder.compile import CompileError, generate_code  # torch loads with the first code view

        report = self.session.report
        if report is None:
            self.text.setPlainText("")
            return
        if not report.ok:
            self.status.setText(tr("{count} problem(s): fix them to see the code", count=len(report.errors)))
            lines = ["# " + tr("The model has problems; the code appears once they are fixed:"), "#"]
            lines += [f"#   {p}" for p in report.errors]
            self._set("\n".join(lines))
            return
        try:
            # The session's check of the model on its own (not as a use entered): no need to check it again.
            checked = {report.model.name: report} if not self.session.trail else None
            code = generate_code(self.session.document.project, [self.session.model], checked=checked)
        except CompileError as exc:  # checked above; kept for a model changed in between
            self._set("# " + str(exc).replace("\n", "\n# "))
            return
        self.status.setText(tr("class {name} · what trains is this code", name=code.class_names[self.session.model]))
        self._set(code.source)

    def _set(self, source: str) -> None:
        if self.text.toPlainText() != source:
            bar = self.text.verticalScrollBar().value()
            self.text.setPlainText(source)
            self.text.verticalScrollBar().setValue(bar)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())

    @property
    def document(self) -> QTextDocument:
        return self.text.document()
