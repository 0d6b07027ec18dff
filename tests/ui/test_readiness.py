"""One readiness, shown the same in Problems, the status bar and the toolbar; lints and the missing Flatten in
Problems with their fix; data problems found in the background; every view reset with the project; a preview
that needs only the data."""

from graphs import chain

from builder.core.project import Project
from builder.core.templates import EXAMPLE, load_template


def shapes_settings(samples=400):
    return {"source": {"kind": "synthetic", "name": "shapes", "samples": samples}, "batch_size": 32}


def missing_flatten():
    """The issue's network: Input 1×28×28 → Conv2d → ReLU → AdaptiveAvgPool2d → Linear → Output."""
    model = chain("Net", [1, 28, 28], [("conv", "Conv2d", {"out_channels": 16, "kernel_size": 3}),
                                       ("act", "ReLU"), ("pool", "AdaptiveAvgPool2d", {"output_size": 1}),
                                       ("fc1", "Linear", {"out_features": 4})])
    for x, node in enumerate(model.nodes):
        node.ui = {"pos": [x * 200.0, 0.0]}
    return Project(models=[model], data=shapes_settings(), training={"device": "cpu", "epochs": 1})


def listed(window):
    return [str(p) for p in window.problems.problems()]


def test_a_missing_flatten_is_named_everywhere_and_fixed_in_one_click(qtbot, make_window):
    window = make_window(missing_flatten())
    ui = window.training
    assert "fc1: gets 16×1×1: a Linear applies to the last dimension only" in " ".join(listed(window))
    assert any("insert a Flatten before 'fc1'" in line for line in listed(window))  # the Output's error, too
    assert not ui.train_action.isEnabled() and "insert a Flatten before 'fc1'" in ui.why.text()
    assert "can't train yet" in window.totals.text()
    buttons = [window.problems.itemWidget(window.problems.item(i)) for i in range(window.problems.count())]
    fix = next(w for w in buttons if w is not None).findChild(type(window.training.panel.preview_button))
    assert fix.text() == "Insert Flatten before fc1"
    fix.click()
    graph = window.document.model("Net")
    flatten = window.scene.selected_node_ids()[0]
    assert graph.node(flatten).type == "Flatten" and window.session.report.infos["fc1"].shape == (4,)
    qtbot.waitUntil(lambda: ui.train_action.isEnabled(), timeout=20_000)  # the data check read the data, too
    assert "ready to train" in window.totals.text() and listed(window) == []
    window.act_undo.trigger()
    assert flatten not in window.document.model("Net").node_ids()


def test_lints_are_listed_with_their_advice(make_window):
    model = chain("Net", [1, 28, 28], [("flat", "Flatten"), ("fc", "Linear", {"out_features": 4}), ("sm", "Softmax")])
    window = make_window(Project(models=[model], data=shapes_settings(), training={"device": "cpu"}))
    (line,) = listed(window)
    assert line.startswith("Net/sm: Softmax right before CrossEntropyLoss")
    assert window.problems.item(window.problems.count() - 1).text().startswith("✔  Ready to train")


def test_a_missing_data_folder_is_the_same_problem_in_problems_status_bar_and_toolbar(make_window, tmp_path):
    project = load_template(EXAMPLE)
    project.data["source"] = {"kind": "image_folder", "path": "digits_missing"}
    project.path = tmp_path / "p.json"
    window = make_window(project)
    assert "data.source.path: digits_missing does not exist" in window.training.why.text()
    assert listed(window) == ["data.source.path: digits_missing does not exist"]
    assert "can't train yet" in window.totals.text()
    window.problems.itemClicked.emit(window.problems.item(0))  # a setting's problem opens the Training panel
    assert window.side_tabs.currentWidget() is window.training.panel


def test_a_data_mismatch_shows_in_problems_before_train_is_pressed(qtbot, make_window):
    project = load_template(EXAMPLE)
    project.data = shapes_settings()
    project.models[0].node("fc").params["out_features"] = 5
    window = make_window(project)
    qtbot.waitUntil(lambda: not window.training.train_action.isEnabled(), timeout=20_000)
    assert any("has 5 features but the data has 4 classes: set fc's out_features to 4" in line
               for line in listed(window))
    window.editor.set_param("fc", "out_features", 4)
    qtbot.waitUntil(lambda: window.training.train_action.isEnabled(), timeout=20_000)
    assert listed(window) == []


def test_every_view_resets_with_the_project(qtbot, make_window):
    project = load_template(EXAMPLE)
    project.data = shapes_settings()
    project.training.update({"epochs": 1, "device": "cpu"})
    window = make_window(project)
    ui = window.training
    with qtbot.waitSignal(ui.controller.finished, timeout=60_000):
        ui.train_action.trigger()
    qtbot.waitUntil(lambda: not ui.controller.running, timeout=10_000)
    assert "completed" in ui.progress.format() and ui.results.confusion.matrix and ui.controller.trained
    ui.panel.training_form.editors["lr"].field.setText("-1")
    ui.panel.training_form.editors["lr"].field.editingFinished.emit()
    assert "training.lr" in ui.panel.error.text()
    window.new_from_template("lenet")
    assert ui.panel.error.text() == ""
    assert ui.progress.format() == "not trained yet" and ui.plots.point_count() == 0
    assert ui.results.confusion.matrix == [] and ui.results.samples.predictions is None
    assert ui.controller.trained is None and not ui.exports.folder_action.isEnabled()


def test_the_preview_needs_only_the_data(qtbot, make_window):
    project = load_template(EXAMPLE)
    project.data = shapes_settings()
    project.models[0].node("fc").params["out_features"] = 5  # the model does not fit the data yet
    window = make_window(project)
    ui = window.training
    ui.start_preview()
    qtbot.waitUntil(lambda: ui.preview.predictions is not None, timeout=30_000)
    assert ui.preview.predictions.classes == ["circle", "square", "triangle", "cross"]
    qtbot.waitUntil(lambda: ui._preview is None, timeout=10_000)
