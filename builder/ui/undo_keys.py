"""Ctrl+Z and Ctrl+Shift+Z undo the document's last step wherever the focus is, unless a text field has
typing of its own in progress (then they undo that typing, as in any text field).

A QLineEdit claims the undo keys for itself whenever it has focus, so a learner who just changed a value
in the inspector and pressed Ctrl+Z saw nothing happen. Fields mark a finished edit as not modified
(`setModified(False)` when they commit), which is what "typing in progress" means here.

The filter watches only the field that has the focus (moved along on QApplication.focusChanged), not the whole
application: an application-wide Python filter is called for every event of every object (thousands a second
during a run: timers, paints, the training's relays), each call taking the GIL from the training thread.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QWidget

UNDO_KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)


class DocumentUndoKeys(QObject):
    """An event filter on whichever text field has the focus: `DocumentUndoKeys(parent).install(app)`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watched: list[QWidget] = []

    def install(self, app: QApplication) -> None:
        app.focusChanged.connect(self._on_focus)
        self._on_focus(None, app.focusWidget())

    def _on_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        for widget in self._watched:
            if shiboken6.isValid(widget):  # the field may be gone (the inspector rebuilt its editors)
                widget.removeEventFilter(self)
        # A spin box's keys reach it, or its line edit when sent there directly: both are watched.
        self._watched = [new, new.lineEdit()] if isinstance(new, QAbstractSpinBox) else \
            [new] if isinstance(new, QLineEdit) else []
        for widget in self._watched:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.ShortcutOverride:
            return False
        # A spin box has the focus itself and hands the key to its line edit directly (no filter sees that).
        field = watched.lineEdit() if isinstance(watched, QAbstractSpinBox) else watched
        if not isinstance(field, QLineEdit) or field.isModified() or not _is_undo_key(event):
            return False
        event.ignore()  # not the field's: the window's Undo/Redo action takes the key
        return True


def _is_undo_key(event: QKeyEvent) -> bool:
    pressed = QKeySequence(event.keyCombination())
    redo = QKeySequence("Ctrl+Shift+Z")
    return pressed.matches(redo) == QKeySequence.SequenceMatch.ExactMatch or any(
        key.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch
        for standard in UNDO_KEYS for key in QKeySequence.keyBindings(standard))
