"""The dark theme: a Fusion palette, a small style sheet, and a colour per block category."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = QColor("#1e1f22")
PANEL = QColor("#26282c")
RAISED = QColor("#2e3136")
BORDER = QColor("#3a3d43")
TEXT = QColor("#e3e5e8")
DIM = QColor("#9aa0a8")
ACCENT = QColor("#5aa9ff")
ERROR = QColor("#ff5d5d")
WARNING = QColor("#f0b44c")
OK = QColor("#5cc98a")
CANVAS = QColor("#18191b")
GRID = QColor("#202225")
WIRE = QColor("#8f98a6")
MODULE = QColor("#b0704a")  # a use of a module: a colour no block category has

CATEGORY_COLORS = {
    "input/output": QColor("#7c8796"),
    "convolution": QColor("#3d7be0"),
    "normalization": QColor("#2aa198"),
    "activation": QColor("#d9962b"),
    "pooling": QColor("#8c5cd6"),
    "linear": QColor("#d0587e"),
    "shape": QColor("#a3a33a"),
    "regularization": QColor("#6b7b8c"),
    "resize": QColor("#3aa8c9"),
    "merge": QColor("#4fae5a"),
}


def category_color(category: str) -> QColor:
    return CATEGORY_COLORS.get(category, DIM)


def apply(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: PANEL, QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BACKGROUND, QPalette.ColorRole.AlternateBase: RAISED,
        QPalette.ColorRole.ToolTipBase: RAISED, QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT, QPalette.ColorRole.Button: RAISED,
        QPalette.ColorRole.ButtonText: TEXT, QPalette.ColorRole.Highlight: ACCENT.darker(130),
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"), QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.PlaceholderText: DIM, QPalette.ColorRole.BrightText: ERROR,
    }
    for role, color in roles.items():
        palette.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, DIM.darker(130))
    app.setPalette(palette)
    font = app.font()
    if font.pointSizeF() < 9.5:
        font.setPointSizeF(9.5)
    app.setFont(font)
    app.setStyleSheet(STYLE)


def mono_font(size: float = 9.5) -> QFont:
    font = QFont("DejaVu Sans Mono")
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(size)
    return font


STYLE = f"""
QMainWindow::separator {{ background: {BORDER.name()}; width: 1px; height: 1px; }}
QDockWidget {{ titlebar-close-icon: none; color: {DIM.name()}; }}
QDockWidget::title {{ background: {PANEL.name()}; padding: 6px 8px; border-bottom: 1px solid {BORDER.name()}; }}
QToolTip {{ background: {RAISED.name()}; color: {TEXT.name()}; border: 1px solid {BORDER.name()}; padding: 4px; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox, QPlainTextEdit, QListWidget, QTreeWidget {{
    border: 1px solid {BORDER.name()}; border-radius: 4px; padding: 3px; background: {BACKGROUND.name()};
}}
QLineEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus, QComboBox:focus {{ border-color: {ACCENT.name()}; }}
QLineEdit[invalid="true"], QSpinBox[invalid="true"] {{ border-color: {ERROR.name()}; }}
QTreeWidget::item, QListWidget::item {{ padding: 3px 2px; }}
QTabBar::tab {{ background: {PANEL.name()}; color: {DIM.name()}; padding: 6px 14px; border: none;
                border-bottom: 2px solid transparent; }}
QTabBar::tab:selected {{ color: {TEXT.name()}; border-bottom: 2px solid {ACCENT.name()}; }}
QPushButton {{ background: {RAISED.name()}; border: 1px solid {BORDER.name()}; border-radius: 4px; padding: 4px 12px; }}
QPushButton:hover {{ border-color: {ACCENT.name()}; }}
QPushButton:default {{ background: {ACCENT.darker(140).name()}; }}
QStatusBar {{ background: {PANEL.name()}; color: {DIM.name()}; border-top: 1px solid {BORDER.name()}; }}
QLabel[role="error"] {{ color: {ERROR.name()}; }}
QLabel[role="hint"] {{ color: {DIM.name()}; }}
QLabel[role="heading"] {{ font-weight: bold; font-size: 11pt; }}
QCheckBox::indicator {{ width: 13px; height: 13px; border: 1px solid #6a7078; border-radius: 3px;
                        background: {BACKGROUND.name()}; }}
QCheckBox::indicator:checked {{ background: {ACCENT.name()}; border-color: {ACCENT.name()}; }}
QCheckBox::indicator:disabled {{ border-color: {BORDER.name()}; }}
QMenu {{ background: {RAISED.name()}; border: 1px solid {BORDER.name()}; }}
QMenu::item:selected {{ background: {ACCENT.darker(150).name()}; }}
"""
