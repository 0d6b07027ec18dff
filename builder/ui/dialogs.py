"""Every question the window asks and every message box it shows, in one place.

The window and its parts call these and never QMessageBox or QFileDialog themselves, so a test can
put a scripted stand-in in their place (tests/ui/conftest.py) and read what would have been shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from builder.core.i18n import tr

if TYPE_CHECKING:
    from builder.ui.import_ui import ImportChoice

APP_NAME = "NN Builder"
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


class Dialogs:
    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    # -- messages -------------------------------------------------------------------------------

    def error(self, title: str, text: str, details: str = "") -> None:
        """Something failed or was refused; `details` (a traceback, say) goes behind a button."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.parent)
        if details:
            box.setDetailedText(details)
        box.exec()

    def info(self, title: str, text: str) -> None:
        """Something finished that the user asked for, and what it found."""
        QMessageBox.information(self.parent, title, text)

    def rich_text(self, title: str, html: str, size: tuple[int, int] = (760, 640)) -> None:
        """Text to read (the block reference, the shortcuts, About): scrollable, links open in the browser. It
        stays open beside the window, so the block reference can be read while wiring."""
        dialog = QDialog(self.parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowTitle(title)
        text = QTextBrowser()
        text.setOpenExternalLinks(True)
        text.setHtml(html)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.close)
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        layout.addWidget(buttons)
        dialog.resize(*size)
        dialog.show()

    # -- questions ------------------------------------------------------------------------------

    def save_changes(self, name: str) -> str:
        """SAVE, DISCARD or CANCEL, for unsaved changes to `name`."""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self.parent, APP_NAME, tr("Save the changes to {name}?", name=name),
                                      buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        return {buttons.Save: SAVE, buttons.Discard: DISCARD}.get(answer, CANCEL)

    def yes_no(self, text: str, default: bool = True) -> bool:
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self.parent, APP_NAME, text, buttons.Yes | buttons.No,
                                      buttons.Yes if default else buttons.No)
        return answer == buttons.Yes

    def text(self, title: str, label: str, value: str) -> str | None:
        """A line of text, or None when cancelled."""
        text, ok = QInputDialog.getText(self.parent, title, label, text=value)
        return text if ok else None

    def import_choice(self, source: Path, classes: list[str]) -> ImportChoice | None:
        """File → Import PyTorch Code: the class, the input shape, the weights and the project file, or None."""
        from builder.ui.import_ui import ImportDialog

        dialog = ImportDialog(self.parent, source, classes)
        try:
            return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    # -- files ----------------------------------------------------------------------------------

    def open_file(self, title: str, folder: Path, pattern: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self.parent, title, str(folder), pattern)
        return path

    def save_file(self, title: str, suggested: Path, pattern: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.parent, title, str(suggested), pattern)
        return path

    def folder(self, title: str, folder: Path) -> str:
        return QFileDialog.getExistingDirectory(self.parent, title, str(folder))
