"""The window in Chinese: built after the language is applied (as builder/ui/app.py does it), every text it shows
(menus, labels, buttons, tabs, docks, toolbars, tooltips, placeholders, the palette's and Problems' rows; the
training part's pages too) is Chinese but for the names that stay English; View → Language remembers the choice
and starts again in it."""

import re

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDockWidget,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QTabBar,
    QTabWidget,
    QToolBar,
    QWidget,
)

from builder.blocks.registry import BLOCKS
from builder.core.i18n import CHINESE, ENGLISH, LANGUAGES, language
from builder.train.config import DATA_PARAMS, GAN_PARAMS, TRAINING_PARAMS
from builder.ui.language import SETTING, apply_language, chosen_language
from builder.ui.param_form import ParamForm

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # Chinese characters (not punctuation alone)
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
TAG = re.compile(r"<[^>]+>")
# Names that stay English in a Chinese window, besides the blocks' types, parameter and setting names, and the
# project's own models and nodes (names_of): the languages in their own words, the app's name, file formats, and
# template titles that are networks' names.
NAMES = {"NN", "Builder", "PyTorch", "ONNX", "TorchScript", "LeNet", "ResNet-18",
         *(word for name in LANGUAGES.values() for word in WORD.findall(name))}


@pytest.fixture
def chinese(qapp):
    """Our catalogs and Qt's own in Chinese for the test, English again after it."""
    apply_language(qapp, CHINESE)
    yield
    apply_language(qapp, ENGLISH)


def names_of(window) -> set[str]:
    """Every name the window may show as it is: block types, parameter names (the blocks', and those of every
    form in the window: data and training settings, optimizers', schedules'...), the project's models, nodes
    and module parameters (with their kinds, `int`)."""
    project = window.document.project
    settings = {"source", "schedule", *(p.name for p in (*DATA_PARAMS, *TRAINING_PARAMS, *GAN_PARAMS)),
                *(p.name for form in window.findChildren(ParamForm) for p in form.params)}  # a project file's keys
    return {*NAMES, *settings, *(spec.type for spec in BLOCKS), *(p.name for spec in BLOCKS for p in spec.params),
            *(m.name for m in project.models), *(n.id for m in project.models for n in m.nodes),
            *(p.name for m in project.models for p in m.params), *(p.kind for m in project.models for p in m.params)}


def plain(text: str) -> str:
    """What a person reads: no tags, entities or mnemonic marks."""
    text = TAG.sub(" ", text).replace("&nbsp;", " ").replace("&amp;", "&")
    return re.sub(r"&(?=\S)", "", re.sub(r"\(&\S\)", "", text))


def project_texts(window) -> set[str]:
    """The project's own words, shown as written: the help a project file gives its modules' parameters."""
    return {p.help for m in window.document.project.models for p in m.params if p.help}


def untranslated(texts: list[tuple[str, str]], names: set[str], own: frozenset[str] = frozenset()) -> list[str]:
    """(where, text) pairs whose text is neither Chinese, nor made only of names that stay English, nor `own`
    (the project's words)."""
    wrong = []
    for where, text in texts:
        shown = plain(text)
        if not shown.strip() or CJK.search(shown) or text in own:
            continue
        if any(word not in names for word in WORD.findall(shown)):
            wrong.append(f"{where}: {text!r}")
    return wrong


def menu_texts(menu: QMenu, path: str) -> list[tuple[str, str]]:
    texts = []
    for action in menu.actions():
        if action.isSeparator():
            continue
        where = f"{path} › {action.text()}"
        texts += [(where, action.text()), (f"{where} (status tip)", action.statusTip())]
        if action.menu() is not None:
            texts += menu_texts(action.menu(), where)
    return texts


def visible_texts(window) -> list[tuple[str, str]]:
    """Menus (recursively), labels, buttons, tab titles, dock and toolbar titles, tooltips, placeholders, and
    the palette's and Problems' rows."""
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)  # rows replaced (breadcrumb) are gone
    texts = [("window title", window.windowTitle())]
    for top in window.menuBar().actions():
        texts += [(f"menu {top.text()}", top.text()), *menu_texts(top.menu(), top.text())]
    for widget in window.findChildren(QWidget):
        kind = type(widget).__name__
        if isinstance(widget, QLabel):
            texts.append((f"label ({kind})", widget.text()))
        if isinstance(widget, QAbstractButton):
            texts.append((f"button ({kind})", widget.text()))
        if isinstance(widget, QLineEdit):
            texts.append((f"placeholder ({kind})", widget.placeholderText()))
        if isinstance(widget, QTabBar):
            texts += [("tab", widget.tabText(i)) for i in range(widget.count())]
        if isinstance(widget, QTabWidget):
            texts += [("tab", widget.tabText(i)) for i in range(widget.count())]
        if isinstance(widget, (QDockWidget, QToolBar)):
            texts.append((f"title ({kind})", widget.windowTitle()))
        if isinstance(widget, QListWidget):
            texts += [("list row", widget.item(i).text()) for i in range(widget.count())]
        texts.append((f"tooltip ({kind})", widget.toolTip()))
    for toolbar in window.findChildren(QToolBar):
        texts += [(f"toolbar {toolbar.windowTitle()}", action.text()) for action in toolbar.actions()]
    tree = window.palette.tree
    for i in range(tree.topLevelItemCount()):
        heading = tree.topLevelItem(i)
        texts.append(("palette heading", heading.text(0)))
        for row in range(heading.childCount()):
            texts.append(("palette tooltip", heading.child(row).toolTip(0)))
    return texts


def test_a_window_built_in_chinese_shows_no_english_sentence(chinese, make_window):
    window = make_window()
    assert "文件" in window.menu("file").title()
    names = names_of(window)
    nothing_selected = visible_texts(window)
    window.select_node("conv1")  # the inspector's form: the block's parameters, their help, the editors' hints
    conv = visible_texts(window)
    window.editor.set_param("fc", "in_features", 3)  # a problem: in Problems, the status bar and the code panel
    problem = [*visible_texts(window), ("status bar", window.totals.text()),
               ("code panel", window.code.status.text())]
    assert untranslated(nothing_selected + conv + problem, names) == []


def test_a_module_and_its_use_read_in_chinese(chinese, make_window):
    window = make_window()
    window.new_from_template("resnet18")
    use = next(node for node, item in window.scene.nodes.items() if item.module is not None)
    window.select_node(use)
    texts = visible_texts(window)
    window.view.enter(use)
    window.scene.clearSelection()
    texts += [*visible_texts(window), ("status bar message", window.statusBar().currentMessage())]
    assert untranslated(texts, names_of(window), frozenset(project_texts(window))) == []


def test_the_walk_finds_english_where_it_is_left(make_window):
    window = make_window()  # in English: the same walk flags sentences and lets names through
    wrong = untranslated(visible_texts(window), names_of(window))
    assert any("&File" in line for line in wrong)
    assert untranslated([("node", "conv1"), ("block", "Conv2d · in_channels"), ("size", "4,388")],
                        names_of(window)) == []


def test_choosing_chinese_remembers_it_and_the_next_window_speaks_it(qapp, make_window):
    window = make_window()
    assert language() == ENGLISH and window.menu("file").title() == "&File"
    try:
        window.language_actions[CHINESE].trigger()
        assert window.settings.value(SETTING) == CHINESE
        [question] = [text for method, text in window.dialogs.asked if method == "yes_no"]
        assert CJK.search(question)  # asked in the language chosen, so that whoever chose it can read it
        assert language() == ENGLISH  # only the question: this window stays as it was built
        assert window.restart_requested and not window.isVisible()  # "yes": closed, to be opened again
        apply_language(qapp, chosen_language(window.settings))  # as the app does before its next window
        again = make_window()
        assert "文件" in again.menu("file").title() and "编辑" in again.menu("edit").title()
        assert again.language_actions[CHINESE].isChecked()
    finally:
        apply_language(qapp, ENGLISH)
