"""The data and training sections: defaults, overrides of torch's names, every mistake located."""

import pytest

from builder.core.project import Project
from builder.train.config import ConfigError, parse_settings


def problems(data=None, training=None):
    with pytest.raises(ConfigError) as caught:
        parse_settings(Project(data=data or {}, training=training or {}))
    return caught.value.problems


def test_empty_sections_train_the_built_in_shapes_with_sensible_defaults():
    settings = parse_settings(Project())
    assert settings.data.source == {"kind": "synthetic", "name": "shapes"}
    assert (settings.data.task, settings.data.batch_size, settings.data.val_split) == ("classification", 64, 0.2)
    t = settings.training
    assert (t.loss, t.optimizer, t.lr, t.device, t.seed, t.keep_best) == ("CrossEntropyLoss", "Adam", 0.001, "auto", 0, True)


def test_default_loss_follows_the_task():
    assert parse_settings(Project(data={"task": "reconstruction"})).training.loss == "MSELoss"


def test_optimizer_options_under_torch_names():
    t = parse_settings(Project(training={"optimizer": "SGD", "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4})).training
    assert t.options == {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}
    t = parse_settings(Project(training={"optimizer": "Adam", "betas": [0.5, 0.999]})).training
    assert t.options == {"betas": (0.5, 0.999)}


def test_every_mistake_is_located():
    found = problems(data={"batch_size": 0, "sorce": {}, "task": "segmentation"},
                     training={"lr": -1, "momentum": 0.9, "device": "gpu", "loss": "NLLLoss",
                               "betas": [0.5], "schedule": {"kind": "StepLR"}})
    expected = [
        "data.sorce: unknown key 'sorce' (did you mean 'source'?)",
        "data.batch_size: must be at least 1, got 0",
        "data.task: must be one of classification, reconstruction, regression; got 'segmentation'",
        "training.lr: must be greater than 0, got -1",
        "training.device: must be auto, cpu, cuda, cuda:N or cuda:all, got 'gpu'",
        "training.loss: must be one of CrossEntropyLoss, BCELoss, BCEWithLogitsLoss, MSELoss, L1Loss; got 'NLLLoss'",
        "training.momentum: Adam has no option 'momentum' (it takes betas, eps, weight_decay)",
        "training.betas: must be a pair [beta1, beta2], got 1 values",
        "training.schedule.step_size: is required",
    ]
    for item in expected:
        assert any(p.startswith(item) for p in found), (item, found)


def test_option_rules_that_torch_would_raise_late_are_caught_early():
    assert problems(training={"optimizer": "SGD", "nesterov": True}) == [
        "training.nesterov: Nesterov momentum needs momentum > 0"]
    assert problems(data={"source": "digits/"})[0].startswith('data.source: expected an object with a "kind"')
    assert problems(training={"schedule": {"kind": "Cyclic"}})[0].startswith(
        "training.schedule: expected {\"kind\": one of StepLR, CosineAnnealingLR, ReduceLROnPlateau")


def test_schedules_take_their_options():
    t = parse_settings(Project(training={"schedule": {"kind": "CosineAnnealingLR", "eta_min": 1e-5}})).training
    assert t.schedule == ("CosineAnnealingLR", {"T_max": None, "eta_min": 1e-5})


def test_gan_keys_only_in_gan_mode():
    t = parse_settings(Project(training={"mode": "gan", "generator": "G", "discriminator": "D", "d_steps": 2,
                                         "g_lr": 0.001, "d_betas": [0.4, 0.9]})).training
    assert (t.mode, t.loss, t.d_steps, t.g_lr, t.d_lr) == ("gan", "BCEWithLogitsLoss", 2, 0.001, None)
    assert t.d_options == {"betas": (0.4, 0.9)} and t.g_options == {}
    assert problems(training={"generator": "G"}) == ['training.generator: only used with "mode": "gan"']
    assert problems(training={"mode": "gan", "g_momentum": 0.9}) == [
        "training.g_momentum: Adam has no option 'momentum' (it takes betas, eps, weight_decay)"]


def test_a_schedule_kind_that_is_not_text_is_a_problem_not_a_crash():
    # a list as the kind was looked up in the schedules and raised TypeError (unhashable)
    (problem,) = problems(training={"schedule": {"kind": [1]}})
    assert problem.startswith('training.schedule: expected {"kind": one of StepLR')


def test_unknown_keys_show_on_one_printable_line():
    (problem,) = problems(training={"a\nb\x1b": 1})
    assert problem.startswith("training.a\\nb\\x1b: unknown key 'a\\nb\\x1b'; valid keys: mode")


def test_speed_settings_default_to_what_won_on_the_bench_and_refuse_bad_values():
    t = parse_settings(Project()).training
    assert (t.channels_last, t.compile, t.threads) == (True, False, None)
    t = parse_settings(Project(training={"channels_last": False, "compile": True, "threads": 2})).training
    assert (t.channels_last, t.compile, t.threads) == (False, True, 2)
    found = problems(training={"threads": 0, "compile": "yes"})
    assert any(p.startswith("training.threads: must be at least 1, got 0") for p in found), found
    assert any(p.startswith("training.compile:") for p in found), found
