"""GAN training: the detach that keeps D's loss out of G, a GAN that learns, and every check of the setup."""

import pytest
import torch
from nets import small_gan_project

import builder.train.gan as gan
from builder.train.events import EpochEnd, Finished, Started, Step
from builder.train.gan import GanTrainer, Precision, discriminator_step, prepare_gan
from builder.train.losses import LOSSES
from builder.train.setup import SetupError


def problems(project):
    with pytest.raises(SetupError) as caught:
        prepare_gan(project)
    return caught.value.problems


def test_a_discriminator_step_leaves_the_generator_untouched():
    run = prepare_gan(small_gan_project(samples=64))
    generator, discriminator = run.new_models()
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=0.01)
    before = {k: v.clone() for k, v in generator.named_parameters()}
    real = run.to_model_range(run.data.tensors[0][:16])
    z = torch.randn(16, *run.latent_shape)
    d_before = [p.clone() for p in discriminator.parameters()]
    loss, *_ = discriminator_step(generator, discriminator, opt_d, LOSSES["BCEWithLogitsLoss"].make(), real, z)
    assert all(p.grad is None for p in generator.parameters())  # no gradient reached G
    for key, value in generator.named_parameters():
        assert torch.equal(value, before[key]), key
    assert any(not torch.equal(a, b) for a, b in zip(d_before, discriminator.parameters()))  # D did learn
    # The property is not vacuous: the same loss without the detach does reach the generator.
    fake_scores = discriminator(generator(z)).reshape(16)
    LOSSES["BCEWithLogitsLoss"].make()(fake_scores, torch.zeros(16)).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters())


def _histogram(images):
    return torch.histc(images.clamp(0, 1), bins=10, min=0, max=1) / images.numel()


def test_the_generator_learns_the_data_and_fools_the_discriminator_more():
    run = prepare_gan(small_gan_project(samples=800, epochs=6))
    real = run.data.tensors[0]
    trainer = GanTrainer(run)
    records, grids = [], []
    for event in trainer:
        if isinstance(event, EpochEnd):
            records.append(event.record)
            grids.append(torch.from_numpy(trainer.showcase(event.record.epoch).images))
    assert isinstance(event, Finished) and len(records) == 6
    untrained, _ = run.new_models()
    untrained.eval()
    with torch.no_grad():
        noise = run.to_image_range(untrained(trainer.fixed_z))
    start = (_histogram(noise) - _histogram(real)).abs().sum()
    end = (_histogram(grids[-1]) - _histogram(real)).abs().sum()
    assert end < 0.35 * start, (float(start), float(end))  # the pixels now look like the data's
    assert abs(grids[-1].mean() - real.mean()) < 0.1
    gaps = [r["d_real"] - r["d_fake"] for r in records]
    assert gaps[-1] < 0.8 * max(gaps)  # D(G(z)) has moved back toward D(x)
    assert grids[-1].shape == (64, 1, 16, 16) and grids[-1].min() >= 0 and grids[-1].max() <= 1


def test_events_and_stop_within_a_batch():
    trainer = GanTrainer(prepare_gan(small_gan_project(samples=200, epochs=3)))
    seen = []
    for event in trainer:
        seen.append(event)
        if isinstance(event, Step) and event.step == 2:
            trainer.stop()
    assert isinstance(seen[0], Started) and seen[0].model == "G vs D"
    assert [type(e).__name__ for e in seen[1:]] == ["Step", "Step", "Finished"]
    assert set(seen[1].values) == {"d_loss", "g_loss"}
    assert [(s.name, s.per) for s in seen[0].series if s.per == "epoch"] == [
        ("d_loss", "epoch"), ("g_loss", "epoch"), ("d_real", "epoch"), ("d_fake", "epoch"), ("lr", "epoch")]
    assert seen[-1].reason == "stopped"


def test_per_side_learning_rates_and_options():
    run = prepare_gan(small_gan_project(samples=64, epochs=1, g_lr=0.001, d_lr=0.0001, d_betas=[0.3, 0.9]))
    trainer = GanTrainer(run)
    list(trainer)
    assert run.settings.training.g_lr == 0.001 and run.settings.training.d_options == {"betas": (0.3, 0.9)}
    optimizer = trainer._optimizer(trainer.discriminator, 0.0001, run.settings.training.d_options)
    assert optimizer.param_groups[0]["lr"] == 0.0001 and optimizer.param_groups[0]["betas"] == (0.3, 0.9)


def test_generator_output_discriminator_input_and_data_must_agree():
    project = small_gan_project()
    project.models[1].node("x").params["shape"] = [1, 28, 28]
    found = problems(project)
    assert any("the generator G makes 1×16×16 images but the discriminator D takes 1×28×28" in p for p in found)


def test_the_discriminator_gives_one_value_per_image():
    project = small_gan_project()
    project.models[1].node("c3").params["out_channels"] = 4
    (problem,) = problems(project)
    assert "gives 4 values per image; it must end in one value per image" in problem


def test_loss_must_match_the_discriminators_last_layer():
    project = small_gan_project(loss="BCELoss")
    (problem,) = problems(project)
    assert "BCELoss needs probabilities, but D does not end in a Sigmoid" in problem
    project = small_gan_project()
    d = project.models[1]
    from builder.core.graph import Edge, Node

    d.nodes.insert(-1, Node("sig", "Sigmoid"))
    d.edges = [e for e in d.edges if e.dst != "out"] + [Edge("flat", "sig"), Edge("sig", "out")]
    (problem,) = problems(project)
    assert "BCEWithLogitsLoss applies the sigmoid itself, but D ends in a Sigmoid: remove it, or use BCELoss" in problem
    project.training["loss"] = "BCELoss"
    assert prepare_gan(project).logits is False


def test_models_must_exist_and_differ_and_unbounded_generators_are_warned_about():
    assert problems(small_gan_project(generator="Nope"))[0].startswith("training.generator: no model named 'Nope'")
    assert "two different models" in problems(small_gan_project(discriminator="G"))[0]
    project = small_gan_project()
    g = project.models[0]
    g.edges = [e for e in g.edges if e.src != "tanh" and e.dst != "tanh"] + [type(g.edges[0])("up3", "out")]
    g.nodes = [n for n in g.nodes if n.id != "tanh"]
    run = prepare_gan(project)
    assert run.scale == (1.0, 0.0) and "end it with Tanh" in run.warnings[0].message


def weights(trainer):
    return {k: v.clone() for k, v in {**trainer.generator.state_dict(),
                                      **{f"D.{k}": v for k, v in trainer.discriminator.state_dict().items()}}.items()}


def test_a_resumed_gan_run_continues_exactly_as_if_never_stopped(tmp_path):
    """2 epochs straight == 1 epoch, a new trainer resuming from its checkpoint, then the 2nd epoch: the same
    weights, losses and latent draws (the noise generator's state travels in the checkpoint)."""
    straight = GanTrainer(prepare_gan(small_gan_project(samples=96, epochs=2)), checkpoint=tmp_path / "a.pt")
    events = list(straight)
    assert isinstance(events[-1], Finished)
    first = GanTrainer(prepare_gan(small_gan_project(samples=96, epochs=1)), checkpoint=tmp_path / "b.pt")
    list(first)
    resumed = GanTrainer(prepare_gan(small_gan_project(samples=96, epochs=2)), checkpoint=tmp_path / "b.pt",
                         resume=True)
    again = list(resumed)
    assert again[0].start_epoch == 1 and isinstance(again[-1], Finished)
    assert [r.values for r in resumed.history] == [r.values for r in straight.history]
    for key, value in weights(straight).items():
        assert torch.equal(value, weights(resumed)[key]), key
    assert torch.equal(straight.fixed_z, resumed.fixed_z)


def test_resuming_a_gan_from_a_supervised_checkpoint_is_refused(tmp_path):
    from projects import cnn, shapes_project

    from builder.train.engine import Trainer
    from builder.train.setup import prepare

    list(Trainer(prepare(shapes_project(cnn(), training={"epochs": 1, "device": "cpu"})), checkpoint=tmp_path / "c.pt"))
    events = list(GanTrainer(prepare_gan(small_gan_project(samples=64)), checkpoint=tmp_path / "c.pt", resume=True))
    assert events[-1].kind == "error" and "train without --resume to start over" in events[-1].message


def losses(trainer):
    return [r.values for r in trainer.history]


def test_mixed_precision_on_the_cpu_trains_in_float32_as_the_supervised_engine_does():
    plain = GanTrainer(prepare_gan(small_gan_project(samples=64, epochs=1)))
    list(plain)
    run = prepare_gan(small_gan_project(samples=64, epochs=1, mixed_precision=True))
    mixed = GanTrainer(run)
    started, *_ = list(mixed)
    assert started.precision == "float32" and mixed.scalers == (None, None)
    assert any("mixed_precision only applies on CUDA" in w.message for w in run.warnings)
    assert losses(mixed) == losses(plain)


def forward_dtypes(model, seen):
    model.register_forward_hook(lambda _module, _inputs, output: seen.add(output.dtype))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_mixed_precision_autocasts_both_models_and_a_resumed_run_keeps_each_loss_scaler(tmp_path, monkeypatch, dtype):
    """What CUDA gives (float16 on GPUs without bfloat16), made on the CPU: autocast is the same there. float16 gets
    one GradScaler per optimizer, each saved in the checkpoint and restored on resume, so the resumed run scales
    and skips steps exactly as the uninterrupted one; bfloat16 needs no scaling."""
    monkeypatch.setattr(gan, "precision_for", lambda device, _mixed: Precision(device.type, dtype))
    straight = GanTrainer(prepare_gan(small_gan_project(samples=96, epochs=2)), checkpoint=tmp_path / "a.pt")
    events = iter(straight)
    started = next(events)  # the models are made: hooks on them see every forward pass
    seen = set()
    forward_dtypes(straight.generator, seen)
    forward_dtypes(straight.discriminator, seen)
    assert isinstance(list(events)[-1], Finished)
    assert started.precision == f"{str(dtype).removeprefix('torch.')} mixed" and seen == {dtype}
    first = GanTrainer(prepare_gan(small_gan_project(samples=96, epochs=1)), checkpoint=tmp_path / "b.pt")
    list(first)
    saved = torch.load(tmp_path / "b.pt", weights_only=True)
    resumed = GanTrainer(prepare_gan(small_gan_project(samples=96, epochs=2)), checkpoint=tmp_path / "b.pt",
                         resume=True)
    assert isinstance(list(resumed)[-1], Finished)
    assert losses(resumed) == losses(straight) and all(v == v for r in losses(straight) for v in r.values())
    for key, value in weights(straight).items():
        assert torch.equal(value, weights(resumed)[key]), key
    if dtype == torch.bfloat16:
        assert straight.scalers == (None, None) and saved["scaler"] is None and saved["d_scaler"] is None
        return
    g_scaler, d_scaler = straight.scalers
    assert g_scaler is not d_scaler and saved["scaler"]["_growth_tracker"] > 0 and saved["d_scaler"]["_growth_tracker"] > 0
    assert [s.state_dict() for s in resumed.scalers] == [s.state_dict() for s in straight.scalers]


def test_a_damaged_loss_scaler_state_is_refused_before_anything_resumes(tmp_path):
    list(GanTrainer(prepare_gan(small_gan_project(samples=64, epochs=1)), checkpoint=tmp_path / "c.pt"))
    state = torch.load(tmp_path / "c.pt", weights_only=True)
    state["d_scaler"] = {"scale": "big"}
    torch.save(state, tmp_path / "c.pt")
    trainer = GanTrainer(prepare_gan(small_gan_project(samples=64, epochs=2)), checkpoint=tmp_path / "c.pt",
                         resume=True)
    events = list(trainer)
    assert events[-1].kind == "error" and "its loss scaler state (mixed precision) is damaged" in events[-1].message
    assert trainer.history == []
