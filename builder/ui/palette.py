"""The palette: every registered block by category, with a search box; drag a block onto the canvas."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from builder.blocks.registry import BLOCKS
from builder.core.i18n import tr
from builder.ui import theme
from builder.ui.canvas.quick_search import matches
from builder.ui.canvas.view import block_mime
from builder.ui.icons import block_icon

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1
DESCRIPTION_ROLE = Qt.ItemDataRole.UserRole + 2


class _BlockDelegate(QStyledItemDelegate):
    """A block row: icon, name, and its one-line description underneath in a dimmer font."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        if index.data(TYPE_ROLE) is None:
            return QSize(option.rect.width(), 26)
        return QSize(option.rect.width(), 42)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        if index.data(TYPE_ROLE) is None:  # a category heading
            super().paint(painter, option, index)
            return
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, theme.ACCENT.darker(220))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(option.rect, theme.RAISED)
        rect = option.rect
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        icon.paint(painter, QRect(rect.left() + 4, rect.top() + 6, 28, 28))
        text_left = rect.left() + 40
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(theme.TEXT)
        painter.drawText(QRect(text_left, rect.top() + 4, rect.width() - 44, 18),
                         Qt.AlignmentFlag.AlignVCenter, index.data(TYPE_ROLE))
        font.setBold(False)
        font.setPointSizeF(max(font.pointSizeF() - 1.0, 7.5))
        painter.setFont(font)
        painter.setPen(theme.DIM)
        description = painter.fontMetrics().elidedText(index.data(DESCRIPTION_ROLE), Qt.TextElideMode.ElideRight,
                                                       rect.width() - 46)
        painter.drawText(QRect(text_left, rect.top() + 21, rect.width() - 44, 17),
                         Qt.AlignmentFlag.AlignVCenter, description)
        painter.restore()


def _heading(text: str, color) -> QTreeWidgetItem:
    heading = QTreeWidgetItem([text])
    heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
    font = heading.font(0)
    font.setBold(True)
    font.setPointSizeF(8)
    heading.setFont(0, font)
    heading.setForeground(0, color.lighter(120))
    return heading


class _BlockTree(QTreeWidget):
    def mimeData(self, items: list[QTreeWidgetItem]):  # noqa: N802 (Qt's name)
        types = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        return block_mime(types[0]) if types else None


class Palette(QWidget):
    activated = Signal(str)  # a block double-clicked or chosen with Enter: add it to the canvas

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Search blocks…"))
        self.search.setClearButtonEnabled(True)
        self.tree = _BlockTree()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(0)
        self.tree.setItemDelegate(_BlockDelegate(self.tree))
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setMouseTracking(True)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.model_items: dict[str, QTreeWidgetItem] = {}  # the project's models, usable as blocks
        self.models_heading = _heading(tr("MODELS (drag to use)"), theme.MODULE)
        self.tree.addTopLevelItem(self.models_heading)
        self.models_heading.setHidden(True)
        self._fill()
        self.search.textChanged.connect(self.filter)
        self.tree.itemActivated.connect(self._on_activated)

    def _fill(self) -> None:
        for category, specs in BLOCKS.by_category().items():
            heading = _heading(tr(category).upper(), theme.category_color(category))  # the colour's key: English
            self.tree.addTopLevelItem(heading)
            for spec in specs:
                item = QTreeWidgetItem(heading)
                item.setData(0, TYPE_ROLE, spec.type)
                item.setData(0, DESCRIPTION_ROLE, tr(spec.description))
                item.setIcon(0, block_icon(spec.type))
                item.setToolTip(0, f"<b>{spec.type}</b><br>{tr(spec.description)}")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                self.items[spec.type] = item
        self.tree.expandAll()

    def set_models(self, models: list[tuple[str, str]]) -> None:
        """The project's models that can be used here, as (name, description), listed first."""
        self.models_heading.takeChildren()
        self.model_items = {}
        for name, description in models:
            item = QTreeWidgetItem(self.models_heading)
            item.setData(0, TYPE_ROLE, name)
            item.setData(0, DESCRIPTION_ROLE, description)
            item.setIcon(0, block_icon(name))
            item.setToolTip(0, tr("<b>{model}</b>: a model of this project<br>{description}<br>Drag it onto the canvas "
                                  "to use it as a block", model=name, description=description))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            self.model_items[name] = item
        self.models_heading.setExpanded(True)
        self.filter(self.search.text())

    def filter(self, text: str) -> None:
        shown = set(matches(text))
        wanted = text.strip().lower()
        for index in range(self.tree.topLevelItemCount()):
            heading = self.tree.topLevelItem(index)
            visible = 0
            for row in range(heading.childCount()):
                child = heading.child(row)
                name = child.data(0, TYPE_ROLE)
                hide = name not in shown if heading is not self.models_heading else wanted not in name.lower()
                child.setHidden(hide)
                visible += not hide
            heading.setHidden(visible == 0)

    def visible_blocks(self) -> list[str]:
        return [t for t, item in self.items.items() if not item.isHidden() and not item.parent().isHidden()]

    def _on_activated(self, item: QTreeWidgetItem) -> None:
        type_name = item.data(0, TYPE_ROLE)
        if type_name:
            self.activated.emit(type_name)
