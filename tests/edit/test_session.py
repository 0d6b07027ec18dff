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


def _same_as_full(session: Session) -> None:
    from builder.blocks.check import check_model, check_use

    report = check_model(session.document.model(session.root), session.document.project)
    for _model, use in session.trail:
        report = check_use(report, use)
    assert session.report == report and session.report.problems == report.problems


def test_each_edit_and_undo_gives_the_full_checks_report_and_reuses_what_the_edit_cannot_reach():
    from builder.core.commands import set_param

    layers = [(f"fc{i}", "Linear", {"out_features": 4}) for i in range(6)]
    document = Document(project(chain("A", [4], layers)))
    session = Session(document)
    first = session.report
    document.execute(set_param(document, "A", "fc3", "out_features", 7))
    assert session.report.infos["fc3"].shape == (7,) and session.report.infos["fc4"].params == 7 * 4 + 4
    assert session.report.infos["fc1"] is first.infos["fc1"]  # upstream of the edit: not checked again
    _same_as_full(session)
    document.execute(set_param(document, "A", "fc0", "out_features", 0))
    assert not session.report.ok and "fc5" not in session.report.infos
    _same_as_full(session)
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert session.report == first
    _same_as_full(session)


def test_an_edit_inside_a_module_entered_through_a_use_shows_what_it_does_there():
    from modules_nets import small_resnet

    from builder.core.commands import set_param

    document = Document(small_resnet())
    session = Session(document)
    session.enter("layer2.0")
    assert session.report.infos["conv1"].shape == (32, 8, 8)
    document.execute(set_param(document, "DownBlock", "conv1", "kernel_size", 1))
    assert session.report.infos["conv1"].shape == (32, 9, 9)  # a 1x1 window with padding 1, stride 2, on 16x16
    _same_as_full(session)
    session.leave()
    assert "layer2.0" not in session.report.infos  # its skip is 8x8, its main path now 9x9
    document.undo_stack.undo()
    document.execute(set_param(document, "ResNet", "layer2.0", "planes", 8))
    assert session.report.infos["layer2.0"].shape[0] == 8
    _same_as_full(session)
