"""The session, headless: it follows the document (model shown, renamed, removed) and rechecks after every edit."""

from graphs import chain, project

from builder.core.commands import AddModel, RemoveModel, RenameModel
from builder.core.document import Document
from builder.edit.session import Session


def test_rechecks_after_each_edit_and_follows_renames_and_removals():
    document = Document(project(chain("A", [4], [("fc", "Linear", {"out_features": 2})])))
    session = Session(document)
    reports, switches = [], []
    session.checked.connect(reports.append)
    session.model_switched.connect(switches.append)
    session.recheck()
    assert session.model == "A" and reports[-1].ok
    document.execute(AddModel(chain("B", [4], [])))
    session.show_model("B")
    assert switches == ["B"] and reports[-1].model.name == "B"
    document.execute(RenameModel("B", "C"))
    assert session.model == "C" and switches[-1] == "C"
    document.execute(RemoveModel("C"))
    assert session.model == "A" and switches[-1] == "A"
