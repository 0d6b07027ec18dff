"""Tab or double-click on the canvas: type a few letters, press Enter, the block lands under the cursor."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from builder.blocks.registry import BLOCKS
from builder.core.i18n import tr
from builder.ui.icons import block_icon


def matches(query: str) -> list[str]:
    """Block types for a query: names starting with it first, then names, descriptions or categories containing
    it (in English, and in the language in use: a learner may search `卷积` as well as `conv`)."""
    q = query.strip().lower()
    if not q:
        return [s.type for s in BLOCKS]
    starts = [s.type for s in BLOCKS if s.type.lower().startswith(q)]
    contains = [s.type for s in BLOCKS if s.type not in starts
                and (q in s.type.lower() or any(q in text.lower() for text in _searched(s)))]
    return starts + contains


def _searched(spec) -> tuple[str, ...]:
    return (spec.description, spec.category, tr(spec.description), tr(spec.category))


class QuickSearch(QFrame):
    chosen = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.field = QLineEdit()
        self.field.setPlaceholderText(tr("Add a block…"))
        self.list = QListWidget()
        self.list.setMinimumHeight(260)
        layout.addWidget(self.field)
        layout.addWidget(self.list)
        self.resize(300, 320)
        self.field.textChanged.connect(self._refill)
        self.field.returnPressed.connect(self._accept)
        self.list.itemActivated.connect(lambda _item: self._accept())
        self.field.installEventFilter(self)
        self._refill("")

    def _refill(self, text: str) -> None:
        self.list.clear()
        for type_name in matches(text):
            item = QListWidgetItem(block_icon(type_name), type_name)
            item.setToolTip(tr(BLOCKS[type_name].description))
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _accept(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.hide()
            self.chosen.emit(item.text())

    def eventFilter(self, watched, event) -> bool:  # arrows in the field move through the list
        if watched is self.field and event.type() == event.Type.KeyPress and event.key() in (
                Qt.Key.Key_Down, Qt.Key.Key_Up):
            row = self.list.currentRow() + (1 if event.key() == Qt.Key.Key_Down else -1)
            self.list.setCurrentRow(max(0, min(row, self.list.count() - 1)))
            return True
        return super().eventFilter(watched, event)

    def open_at(self, global_pos) -> None:
        self.field.clear()
        self.move(global_pos)
        self.show()
        self.field.setFocus()
