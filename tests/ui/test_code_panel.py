"""The Code panel follows edits a moment after the last one, and only while it can be seen."""


def test_the_code_follows_an_edit_while_shown_and_catches_up_when_shown_again(qtbot, window):
    code = window.code
    qtbot.waitUntil(lambda: "nn.Linear(784, 4)" in code.text.toPlainText(), timeout=10_000)
    window.editor.set_param("fc", "out_features", 5)
    qtbot.waitUntil(lambda: "nn.Linear(784, 5)" in code.text.toPlainText(), timeout=10_000)
    window.code_dock.hide()
    window.editor.set_param("fc", "out_features", 6)
    qtbot.wait(400)  # the panel's delay three times over: nothing is regenerated for a hidden panel
    assert "nn.Linear(784, 5)" in code.text.toPlainText()
    window.code_dock.show()
    qtbot.waitUntil(lambda: "nn.Linear(784, 6)" in code.text.toPlainText(), timeout=10_000)
