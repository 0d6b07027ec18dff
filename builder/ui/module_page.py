"""The inspector's page for a module with nothing selected: its size as this use sees it, and the parameters
it declares for its uses (`planes`, `stride`), each renamed, given a new default or removed here."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from builder.blocks.check import ModelReport
from builder.blocks.modules import param_of
from builder.core.i18n import tr, trn
from builder.edit.editor import EditError, Editor
from builder.edit.session import Session
from builder.ui.param_editors import make_editor


def module_page(session: Session, editor: Editor, report: ModelReport) -> QWidget:
    graph = session.document.model(session.model)
    users = [f"{m.name}.{n.id}" for m in session.document.project.models for n in m.nodes if n.type == graph.name]
    page = QWidget()
    layout = QVBoxLayout(page)
    heading = QLabel(tr("Module {name}", name=graph.name))
    heading.setProperty("role", "heading")
    layout.addWidget(heading)
    state = tr("checks clean") if report.ok else tr("{count} problem(s) to fix", count=len(report.errors))
    sizes = {"params": f"{report.total_params:,}", "macs": f"{report.total_macs:,}", "state": state}
    if session.trail and not session.standalone:
        size = tr("{params} parameters · {macs} MACs as {use} sees it · {state}", use=session.trail[-1][1], **sizes)
    else:
        size = tr("{params} parameters · {macs} MACs · {state}", **sizes)
    listed = ", ".join(users[:4]) + ("…" if len(users) > 4 else "")
    used = (trn("Used {count} time ({uses}): an edit here changes every use.",
                "Used {count} times ({uses}): an edit here changes every use.", len(users), count=len(users),
                uses=listed) if users else tr("Not used yet."))
    summary = QLabel(f"{size}\n\n{used}")
    summary.setWordWrap(True)
    summary.setProperty("role", "hint")
    layout.addWidget(summary)
    title = QLabel(tr("Parameters each use sets"))
    title.setProperty("role", "heading")
    layout.addWidget(title)
    error = QLabel()
    error.setProperty("role", "error")
    error.setWordWrap(True)

    def run(action) -> None:
        try:
            action()
        except EditError as exc:
            error.setText(str(exc))

    form = QFormLayout()
    for declared in graph.params:
        name = QLineEdit(declared.name)
        name.setToolTip(tr("The parameter's name: an __init__ argument of the module's class"))
        name.editingFinished.connect(lambda field=name, old=declared.name: run(
            lambda: editor.modules.rename(old, field.text())) if field.text() != old else None)
        default = make_editor(param_of(declared))
        default.set_value(declared.default)
        default.setToolTip(tr("The default of {param}: what a use that does not set it gets", param=declared.name))
        default.edited.connect(lambda value, n=declared.name: run(lambda: editor.modules.set_default(n, value)))
        remove = QToolButton()
        remove.setText("✕")
        remove.setToolTip(tr("Remove {param}: the blocks using it keep its default as their own value",
                             param=declared.name))
        remove.clicked.connect(lambda _c=False, n=declared.name: run(lambda: editor.modules.remove(n)))
        row = QHBoxLayout()
        row.addWidget(default, 1)
        row.addWidget(QLabel(declared.kind))
        row.addWidget(remove)
        holder = QWidget()
        holder.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        form.addRow(name, holder)
    layout.addLayout(form)
    hint = QLabel(tr("To add one, select a block and click ⋯ beside one of its values: New parameter. Channel "
                     "counts coming in need none: they flow from the wires.") if not graph.params else
                  tr("Link more values with ⋯ beside a block's value."))
    hint.setWordWrap(True)
    hint.setProperty("role", "hint")
    layout.addWidget(hint)
    layout.addWidget(error)
    layout.addStretch()
    return page
