"""The Help menu: the block reference, the keyboard shortcuts, the PyTorch docs of the selected block, About.

Everything it shows is read from where it is declared, so none of it can go stale: the blocks and their
parameters from the registry, the shortcuts from the window's own actions, a block's PyTorch page from the
code its template writes. The window is reached through add_menu, status and dialogs, and read through its
menu bar, selection and check report.
"""

from __future__ import annotations

import html
import importlib.metadata
import platform
import re
from typing import Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, QUrl, qVersion
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenu

from builder import __version__
from builder.blocks.registry import BLOCKS
from builder.blocks.spec import BlockSpec
from builder.core.i18n import N_, tr
from builder.ui.dialogs import APP_NAME

DOCS_URL = "https://pytorch.org/docs/stable/generated/{name}.html"
# How generated code names what it calls (`nn.Conv2d(...)`, `F.interpolate(...)`, `torch.cat(...)`): the
# imports codegen writes, and the operators a template may use instead of a call (Add writes `x + y`).
CODE_MODULES = {"nn": "torch.nn", "F": "torch.nn.functional", "torch": "torch"}
OPERATORS = {"+": "torch.add", "*": "torch.mul"}
CALL = re.compile(r"(nn|F|torch)\.([A-Za-z_][\w.]*)\(")
DISTRIBUTION = "nn-builder"
# The package's summary as pyproject.toml words it, marked here so that About can show it translated (a summary
# worded otherwise shows as it is).
SUMMARY = N_("Build PyTorch networks by wiring blocks, train them, and take away the code and weights.")
DOCS_TEXT = N_("PyTorch &Docs for the Selected Block")  # tr(DOCS_TEXT) where shown


def install_help_menu(window: Any) -> HelpMenu:
    """The Help menu, last in the window's menu bar."""
    return HelpMenu(window)


class HelpMenu(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.menu: QMenu = window.add_menu(tr("&Help"))
        self.reference_action = self.menu.addAction(tr("&Block Reference"), self.show_reference)
        self.reference_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.docs_action = self.menu.addAction(tr(DOCS_TEXT), self.open_block_docs)
        self.docs_action.setStatusTip(tr("Open the PyTorch documentation of the selected block's class or function"))
        self.menu.addSeparator()
        self.shortcuts_action = self.menu.addAction(tr("&Keyboard Shortcuts"), self.show_shortcuts)
        self.menu.addSeparator()
        self.about_action = self.menu.addAction(tr("&About {app}", app=APP_NAME), self.show_about)
        self.menu.aboutToShow.connect(self.update_docs_action)

    # -- the selected block's PyTorch page ------------------------------------------------------

    def selected_block(self) -> tuple[BlockSpec, dict[str, Any], bool] | None:
        """The one selected block's declaration, its parameters (resolved by the check when the block checks,
        else as given over the defaults) and whether it checks."""
        selected = self.window.scene.selected_node_ids()
        if len(selected) != 1:
            return None
        node = self.window.document.model(self.window.session.model).node(selected[0])
        spec = BLOCKS.get(node.type)
        if spec is None:
            return None
        report = self.window.session.report
        info = report.infos.get(node.id) if report is not None else None
        if info is None:
            return spec, {**spec.defaults(), **node.params}, False
        return spec, dict(info.resolved), True

    def update_docs_action(self) -> None:
        block = self.selected_block()
        name = torch_name(block[0], block[1]) if block else None
        self.docs_action.setText(tr("PyTorch &Docs for {block} ({name})", block=block[0].type, name=name) if name
                                 else tr(DOCS_TEXT))
        self.docs_action.setEnabled(name is not None)

    def open_block_docs(self) -> None:
        block = self.selected_block()
        if block is None:
            self.window.status(tr("Select one block to open its PyTorch documentation"))
            return
        spec, params, checks = block
        name = torch_name(spec, params)
        if name is None:
            calls_none = checks or spec.is_input or spec.is_output  # else its template may need what the check fills in
            self.window.status(tr("{block} calls no PyTorch class or function of its own", block=spec.type)
                               if calls_none else
                               tr("{block}: fix its problems first to find its PyTorch page", block=spec.type))
            return
        url = DOCS_URL.format(name=name)
        opened = QDesktopServices.openUrl(QUrl(url))
        self.window.status(tr("opened {url}", url=url) if opened else tr("could not open a browser for {url}", url=url),
                           8000)

    # -- what the dialogs show ------------------------------------------------------------------

    def show_reference(self) -> None:
        self.window.dialogs.rich_text(tr("Block Reference"), reference_html())

    def show_shortcuts(self) -> None:
        self.window.dialogs.rich_text(tr("Keyboard Shortcuts"), shortcuts_html(shortcut_rows(self.window)),
                                      (560, 640))

    def show_about(self) -> None:
        self.window.dialogs.rich_text(tr("About {app}", app=APP_NAME), about_html(), (480, 240))


def torch_name(spec: BlockSpec, params: dict[str, Any]) -> str | None:
    """What a block's generated code calls, as torch names it ("torch.nn.Conv2d", "torch.cat"), read from the
    code its template writes; None for a block that calls nothing of torch's (Input, Output) or whose template
    cannot be written with these parameters."""
    if spec.is_input or spec.is_output:
        return None
    try:
        code = spec.layer(params) if spec.layer is not None else spec.forward("block", ["x", "y"], params)
    except (KeyError, TypeError, ValueError):
        return None
    call = CALL.match(code)
    if call:
        return f"{CODE_MODULES[call[1]]}.{call[2]}"
    method = re.match(r"x\.(\w+)\(", code)  # a tensor's own method: x.reshape(...), x.mean(...)
    if method:
        return f"torch.Tensor.{method[1]}"
    operator = re.fullmatch(r"\w+ ([+*]) .*", code)
    return OPERATORS[operator[1]] if operator else None


# -- the block reference --------------------------------------------------------------------------

def reference_html() -> str:
    """Every block type by category, with its parameters, from the registry (like `builder blocks`), in the
    language in use (block types and parameter names stay PyTorch's)."""
    intro = tr("Every block type of {app}, by category, with its parameters. Block types and parameter names are "
               "PyTorch's own.", app=APP_NAME)
    title = tr("Blocks")
    parts = [f"<h2>{_text(title)}</h2><p>{_text(intro)}</p>"]
    headers = "".join(f"<th align='left'>{_text(text)}</th>" for text in (tr("parameter"), tr("default"),
                                                                         tr("what it does")))
    for category, specs in BLOCKS.by_category().items():
        parts.append(f"<h3>{_e(tr(category))}</h3>")
        for spec in specs:
            parts.append(f"<p><b>{_e(spec.type)}</b>: {_e(tr(spec.description))}</p>")
            if spec.params:
                rows = "".join(f"<tr><td>{_e(p.name)}</td><td>{_e(p.default_text(translated=True))}</td>"
                               f"<td>{_e(tr(p.help))}</td></tr>" for p in spec.params)
                parts.append("<table cellspacing='0' cellpadding='3' style='margin-left: 16px'>"
                             f"<tr>{headers}</tr>{rows}</table>")
    return "".join(parts)


# -- the keyboard shortcuts -----------------------------------------------------------------------

def shortcut_rows(window: Any) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every action of the window with a shortcut: those in its menus, in menu order,
    then any others added to the window itself."""
    rows: list[tuple[str, str, str]] = []
    seen: set[QAction] = set()

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} › {_plain(action.text())}")
            elif action.shortcuts() and action not in seen:
                seen.add(action)
                rows.append((path, _plain(action.text()), _keys(action)))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), _plain(top.text()))
    for action in window.actions():
        if action.shortcuts() and action not in seen:
            seen.add(action)
            rows.append(("", _plain(action.text()), _keys(action)))
    return rows


def shortcuts_html(rows: list[tuple[str, str, str]]) -> str:
    cells = "".join(f"<tr><td>{_e(menu)}</td><td>{_e(action)}</td><td><b>{_e(keys)}</b></td></tr>"
                    for menu, action, keys in rows)
    headers = "".join(f"<th align='left'>{_text(text)}</th>" for text in (tr("menu"), tr("action"), tr("keys")))
    title = tr("Keyboard shortcuts")
    return (f"<h3>{_text(title)}</h3><table cellspacing='0' cellpadding='4'>"
            f"<tr>{headers}</tr>{cells}</table>")


def _keys(action: QAction) -> str:
    return ", ".join(key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts())


def _plain(text: str) -> str:
    """A menu text without its mnemonic marks (&Save → Save, 保存(&S) → 保存, && → &) or trailing ellipsis."""
    text = re.sub(r"\(&[^&\s]\)", "", text)  # a mnemonic after the text, as Chinese menus write it
    return re.sub(r"&(.)", r"\1", text).rstrip("…").strip()


# -- about ----------------------------------------------------------------------------------------

def about_html() -> str:
    rows = [("PyTorch", _torch_version()), ("Qt", f"{qVersion()} (PySide6 {pyside_version})"),
            ("Python", platform.python_version())]
    cells = "".join(f"<tr><td>{_e(name)}</td><td>{_e(version)}</td></tr>" for name, version in rows)
    links = "".join(f"<p>{_e(label)}: <a href='{_e(url)}'>{_e(url)}</a></p>" for label, url in _project_urls())
    summary = _metadata().get("Summary") or ""
    summary = tr(summary) if summary else ""
    return (f"<h3>{APP_NAME} {_e(__version__)}</h3><p>{_e(summary)}</p>"
            f"<table cellspacing='0' cellpadding='3'>{cells}</table>{links}")


def _torch_version() -> str:
    """As installed, read without importing torch: About opens at once while PyTorch still loads."""
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:  # a build of one's own, not installed as a package
        import torch

        return torch.__version__


def _metadata() -> Any:
    try:
        return importlib.metadata.metadata(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return {}


def _project_urls() -> list[tuple[str, str]]:
    """The project's links as its package declares them (`[project.urls]`), if it declares any."""
    metadata = _metadata()
    declared = metadata.get_all("Project-URL") if hasattr(metadata, "get_all") else None
    return [tuple(part.strip() for part in entry.split(",", 1)) for entry in declared or [] if "," in entry]


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def _text(text: str) -> str:
    """Our own words between tags (an apostrophe stays as it is: only <, > and & are escaped)."""
    return html.escape(text, quote=False)
