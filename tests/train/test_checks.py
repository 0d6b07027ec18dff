"""What training would refuse, found without reading any data: one list for `builder check`, `builder train`
and the window."""

from graphs import chain
from projects import cnn, shapes_project

from builder.core.project import Project
from builder.core.templates import load_template
from builder.train.checks import check_project
from builder.train.setup import readiness


def unreadable(project, tmp_path):
    """Point the data at a file that exists but is not data: anything that reads it would fail loudly."""
    (tmp_path / "junk.npz").write_bytes(b"not an npz")
    project.data["source"] = {"kind": "npz", "path": str(tmp_path / "junk.npz")}
    return project


def test_a_clean_project_has_no_problems():
    check = check_project(shapes_project(cnn()))
    assert check.ok and check.problems == [] and check.trained == ("Net",)


def test_gan_pairing_is_found_without_the_data(tmp_path):
    project = unreadable(load_template("dcgan"), tmp_path)
    g = project.model("G")
    g.node("deconv4").params.update({"stride": 1, "padding": 0, "kernel_size": 1})
    check = check_project(project)
    assert [str(p) for p in check.errors] == [
        "the generator G makes 1×16×16 images but the discriminator D takes 1×32×32: make them the same"]
    assert readiness(project) == [str(check.errors[0])]


def test_gan_loss_against_the_discriminators_last_layer(tmp_path):
    project = unreadable(load_template("dcgan"), tmp_path)
    project.training["loss"] = "BCELoss"
    (problem,) = check_project(project).errors
    assert str(problem).startswith("training.loss: BCELoss needs probabilities, but D does not end in a Sigmoid")
    project.training["loss"] = "MSELoss"
    assert "GAN training uses BCEWithLogitsLoss" in str(check_project(project).errors[0])


def test_classification_with_an_image_shaped_output_names_the_missing_flatten(tmp_path):
    model = chain("Net", [1, 8, 8], [("conv", "Conv2d", {"out_channels": 4, "kernel_size": 3}),
                                     ("pool", "AdaptiveAvgPool2d", {"output_size": 1}),
                                     ("fc1", "Linear", {"out_features": 10})])
    (problem,) = check_project(unreadable(shapes_project(model), tmp_path)).errors
    assert str(problem) == ("Net/out: the Output (from 'fc1') gives 4×1×10 values per sample, but classification "
                            "needs one score per class, a vector: insert a Flatten before 'fc1' (a Linear on 4×1×1 "
                            "applies to the last dimension only)")


def test_every_kind_of_problem_at_once_with_lints_as_warnings(tmp_path):
    model = chain("Net", [1, 16, 16], [("f", "Flatten"), ("fc", "Linear", {"out_features": 4}), ("sm", "Softmax")])
    project = shapes_project(model, data={"source": {"kind": "image_folder", "path": "nowhere"}},
                             training={"device": "cpu", "mixed_precision": True})
    project.path = tmp_path / "p.json"
    check = check_project(project)
    assert [str(p) for p in check.errors] == ["data.source.path: nowhere does not exist"]
    assert [(p.model, p.node) for p in check.warnings] == [("Net", "sm"), (None, None)]
    assert "mixed_precision only applies on CUDA" in str(check.warnings[1])


def test_settings_problems_stop_there_and_models_are_still_checked():
    project = shapes_project(cnn(), training={"lr": -1, "epochs": "ten"})
    check = check_project(project)
    assert check.settings is None and check.trained == () and "Net" in check.reports
    assert [str(p) for p in check.errors] == ["training.lr: must be greater than 0, got -1",
                                              "training.epochs: must be a whole number, got 'ten'"]


def test_errors_of_the_trained_model_only_block_training():
    broken = chain("Scratch", [4], [("fc", "Linear", {"in_features": 3, "out_features": 2})])
    project = Project(models=[cnn(), broken], data={"source": {"kind": "synthetic", "name": "shapes",
                                                                "samples": 64}}, training={"device": "cpu"})
    check = check_project(project)
    assert check.ok and not check.reports["Scratch"].ok
    project.training["model"] = "Scratch"
    assert readiness(project) == ["the model Scratch has 1 problem to fix first"]
    assert [str(p) for p in check_project(project).errors] == [
        "Scratch/fc: expects 3 input features but its input has 4"]


def test_a_path_the_file_system_refuses_to_look_at_is_a_problem_not_a_crash(tmp_path):
    # exists() raised OSError (File name too long: one part longer than the file system allows)
    project = shapes_project(cnn(), data={"source": {"kind": "image_folder", "path": "x" * 600}},
                             training={"device": "cpu"})
    project.path = tmp_path / "p.json"
    (problem,) = check_project(project).errors
    message = str(problem)
    assert message == f"data.source.path: {'x' * 500}... cannot be used: File name too long"  # the path cut short


def test_an_optional_path_left_empty_is_not_looked_for(tmp_path):
    project = shapes_project(cnn(), data={"source": {"kind": "image_folder", "path": ".", "targets": None}},
                             training={"device": "cpu"})
    project.path = tmp_path / "p.json"
    # `"targets": null` was looked for as a file named "None"
    assert all("targets" not in str(p) for p in check_project(project).errors)
