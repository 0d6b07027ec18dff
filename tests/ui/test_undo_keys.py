"""The undo-key filter watches only the text field that has the focus: an application-wide Python filter would be
called for every event of the app (a run's timers, paints and relays too), each call taking the GIL from training."""

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget

from builder.ui.undo_keys import DocumentUndoKeys


class Counting(DocumentUndoKeys):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[QEvent.Type] = []

    def eventFilter(self, watched, event):  # noqa: N802 (Qt's name)
        self.seen.append(event.type())
        return super().eventFilter(watched, event)


def ctrl_z() -> QKeyEvent:
    event = QKeyEvent(QEvent.Type.ShortcutOverride, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    event.ignore()  # as Qt sends it: accepted only by a widget that wants the key for itself
    return event


def test_only_the_focused_field_is_watched_and_a_committed_one_leaves_the_undo_key_to_the_window(qtbot):
    form = QWidget()
    field, spin, button = QLineEdit(), QSpinBox(), QPushButton("ok")
    layout = QVBoxLayout(form)
    for widget in (field, spin, button):
        layout.addWidget(widget)
    qtbot.addWidget(form)
    keys = Counting()
    keys.install(QApplication.instance())
    form.show()
    form.activateWindow()
    qtbot.waitActive(form)
    button.setFocus()
    qtbot.waitUntil(button.hasFocus)
    keys.seen.clear()
    QApplication.sendEvent(button, ctrl_z())
    button.update()
    qtbot.wait(20)  # paints, timers: none of it reaches the filter
    assert keys.seen == []
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    typing = ctrl_z()
    field.setModified(True)
    QApplication.sendEvent(field, typing)
    assert typing.isAccepted()  # typing in progress: the field undoes it
    committed = ctrl_z()
    field.setModified(False)
    QApplication.sendEvent(field, committed)
    assert not committed.isAccepted()  # the window's Undo takes it
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    keys.seen.clear()
    QApplication.sendEvent(field, ctrl_z())  # no longer focused: no longer watched
    assert QEvent.Type.ShortcutOverride not in keys.seen
    on_spin = ctrl_z()
    QApplication.sendEvent(spin, on_spin)
    assert not on_spin.isAccepted() and QEvent.Type.ShortcutOverride in keys.seen
