"""The training-memory estimate from the checked graph, and the search for the largest batch that fits."""

import pytest
from graphs import chain

from builder.blocks.check import check_model
from builder.train.memory import estimate, format_bytes, largest_batch, node_bytes


def test_the_estimate_adds_weights_gradients_optimizer_state_outputs_and_the_batch():
    net = chain("Net", [3, 8, 8], [("conv", "Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
                                   ("bn", "BatchNorm2d"), ("relu", "ReLU"), ("flat", "Flatten"),
                                   ("fc", "Linear", {"out_features": 2})])
    report = check_model(net)
    weights = report.total_params * 4
    adam = estimate(report, 10, "Adam")
    assert adam.parameters == adam.gradients == weights and adam.optimizer == 2 * weights
    assert estimate(report, 10, "SGD").optimizer == 0 and estimate(report, 10, "SGD", {"momentum": 0.9}).optimizer == weights
    map_bytes = 10 * 4 * 8 * 8 * 4
    # conv's output (BatchNorm needs it) and relu's (it keeps its own); bn's is freed once the ReLU has run;
    # Flatten is a view; fc's output goes to the loss.
    assert node_bytes(report, "conv", 10) == map_bytes and node_bytes(report, "bn", 10) == 0
    assert node_bytes(report, "relu", 10) == map_bytes and node_bytes(report, "flat", 10) == 0
    assert adam.activations == 2 * map_bytes + 10 * 2 * 4
    assert adam.workspace == map_bytes and adam.inputs == 10 * 3 * 8 * 8 * 4
    assert adam.total == 4 * weights + adam.activations + adam.workspace + adam.inputs
    assert estimate(report, 10, "Adam", mixed_precision=True).activations == adam.activations // 2
    assert estimate(report, 20, "Adam").activations == 2 * adam.activations
    assert adam.lines()[0].startswith("training memory at batch 10: about ")


def test_a_use_of_a_module_counts_the_outputs_inside_it():
    from modules_nets import small_resnet

    project = small_resnet()
    report = check_model(project.models[0], project)
    inside = report.infos["layer1.0"].inner
    assert node_bytes(report, "layer1.0", 2) == sum(node_bytes(inside, n, 2) for n in inside.order) > 0


@pytest.mark.parametrize(("limit", "largest"), [(1000, 300), (200, 200), (10_000, 300)])
def test_the_largest_batch_doubles_then_bisects_to_the_last_that_fits(limit, largest):
    tried = []

    def fits(batch):
        tried.append(batch)
        return batch <= 300

    assert largest_batch(fits, 16, limit) == largest
    assert tried[:4] == [16, 32, 64, 128] and len(tried) <= 25  # doubling first, then halving the gap


def test_when_everything_fits_the_limit_is_tried_right_after_the_last_doubling():
    tried = []
    assert largest_batch(lambda batch: tried.append(batch) or True, 2, 100) == 100
    assert tried == [2, 4, 8, 16, 32, 64, 100]


def test_nothing_fits_gives_none():
    assert largest_batch(lambda batch: False, 8, 100) is None


def test_bytes_read_as_people_write_them():
    assert [format_bytes(v) for v in (512, 2_500, 3_400_000, 7e9)] == ["512 B", "2.5 KB", "3.4 MB", "7.0 GB"]
