"""GAN training: a generator and a discriminator of one project, trained in turn.

Per batch: the discriminator learns to say 1 for real images and 0 for `G(z).detach()` (cut from
the generator's graph, so the discriminator's loss never reaches the generator), then the
generator learns from the discriminator's verdict on its images, labelled real.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from builder.blocks.check import ModelReport
from builder.compile import build_classes, generate_code
from builder.compile.codegen import GeneratedCode
from builder.core.i18n import N_, tr
from builder.core.problems import Problem
from builder.core.project import Project
from builder.train.batches import TensorBatches, data_loader
from builder.train.checkpoint import CheckpointError
from builder.train.checks import check_project, generator_range
from builder.train.config import Settings
from builder.train.data.base import DataError, LoadedData, SourceRequest
from builder.train.data.image_cache import cache_folder_for
from builder.train.data.sources import load_source
from builder.train.devices import autocast_dtype, describe
from builder.train.engine import BaseTrainer, check_finite
from builder.train.events import (
    EPOCH_LOSS,
    LEARNING_RATE,
    SCORE,
    STEP_LOSS,
    EpochEnd,
    EpochRecord,
    Event,
    Finished,
    Series,
    Started,
    Step,
)
from builder.train.losses import LOSSES
from builder.train.optimizers import OPTIMIZERS
from builder.train.setup import SetupError
from builder.train.showcase import GeneratedImages
from builder.train.trained import TrainedModel

SAMPLE_COUNT = 64  # images in the fixed-latent grid


@dataclass(frozen=True)
class GanPair:
    """What a trained GAN needs besides its weights, known without reading any data: the two models' code and
    classes, the latent shape and the output range. Kept runs are rebuilt from it when a project opens."""

    generator: str
    discriminator: str
    code: GeneratedCode  # both classes, in one source
    classes: dict[str, type[nn.Module]]
    latent_shape: tuple[int, ...]
    scale: tuple[float, float]  # real images in [0, 1] become a * x + b, the generator's output range
    seed: int

    def to_image_range(self, images: torch.Tensor) -> torch.Tensor:
        a, b = self.scale
        return ((images - b) / a).clamp(0, 1)


def gan_pair(project: Project) -> GanPair:
    """The project's GAN, checked (no data read). Raises SetupError."""
    check = check_project(project)
    if check.errors:
        raise SetupError([str(p) for p in check.errors])
    g_name, d_name = check.trained
    g_report = check.reports[g_name]
    code = generate_code(project, [g_name, d_name])
    return GanPair(g_name, d_name, code, build_classes(code), _shape(g_report, g_report.inputs[0]),
                   generator_range(g_report)[0], check.settings.training.seed)


@dataclass
class GanRun:
    project: Project
    settings: Settings
    generator: str
    discriminator: str
    code: GeneratedCode  # both classes, in one source
    classes: dict[str, type[nn.Module]]
    data: LoadedData
    device: torch.device
    latent_shape: tuple[int, ...]
    image_shape: tuple[int, ...]
    logits: bool  # the discriminator gives raw scores (BCEWithLogitsLoss) rather than probabilities
    scale: tuple[float, float]  # real images in [0, 1] become a * x + b, the generator's output range
    warnings: list[Problem]

    def new_models(self) -> tuple[nn.Module, nn.Module]:
        torch.manual_seed(self.settings.training.seed)
        return self.classes[self.generator](), self.classes[self.discriminator]()

    def to_model_range(self, images: torch.Tensor) -> torch.Tensor:
        a, b = self.scale
        return images * a + b if (a, b) != (1.0, 0.0) else images

    def to_image_range(self, images: torch.Tensor) -> torch.Tensor:
        a, b = self.scale
        return ((images - b) / a).clamp(0, 1)

    def pair(self) -> GanPair:
        return GanPair(self.generator, self.discriminator, self.code, self.classes, self.latent_shape, self.scale,
                       self.settings.training.seed)


def is_gan(project: Project) -> bool:
    return project.training.get("mode") == "gan"


def prepare_gan(project: Project, epochs: int | None = None, device: str | None = None) -> GanRun:
    """Check the project (see checks.py: the pairing, the loss against D's last layer...), then read the real
    images, sized to the discriminator's Input. Raises SetupError with one line per problem."""
    check = check_project(project, epochs, device)
    if check.errors:
        raise SetupError([str(p) for p in check.errors])
    settings, (g_name, d_name) = check.settings, check.trained
    g_report, d_report = check.reports[g_name], check.reports[d_name]
    latent = _shape(g_report, g_report.inputs[0])
    taken = _shape(d_report, d_report.inputs[0])
    training = settings.training
    request = SourceRequest(spec=settings.data.source, input_shape=taken, output_shape=taken, task="reconstruction",
                            folder=project.folder, seed=settings.data.seed if settings.data.seed is not None
                            else training.seed, in_memory=settings.data.in_memory,
                            skip_unreadable=settings.data.skip_unreadable,
                            cache_folder=cache_folder_for(project.path))
    try:
        data = load_source(request)
    except DataError as exc:
        raise SetupError([tr("data.source: {error}", error=exc)]) from None
    scale, _warnings = generator_range(g_report)
    code = generate_code(project, [g_name, d_name])
    warnings = [*check.warnings, *(Problem(None, text, warning=True) for text in data.warnings)]
    return GanRun(project, settings, g_name, d_name, code, build_classes(code), data, check.device, latent, taken,
                  training.loss == "BCEWithLogitsLoss", scale, warnings)


def _shape(report: ModelReport, node: str) -> tuple[int, ...]:
    return tuple(report.infos[node].shape)


@dataclass(frozen=True)
class Precision:
    """How a GAN run computes: in float32 (`dtype` None), or mixed, the forward passes autocast to `dtype`.

    As in the supervised engine, mixed precision applies on CUDA only: bfloat16 where the GPU has it,
    else float16, whose small range needs loss scaling. Each optimizer then gets its own GradScaler:
    D and G step from separate losses and backward passes, of gradients of very different sizes, and D
    may step several times per batch (d_steps), which one shared scaler allows only with an update()
    between steps: the AMP docs' single scaler is for optimizers stepped from one backward pass.
    """

    device_type: str
    dtype: torch.dtype | None = None

    def autocast(self) -> AbstractContextManager:
        return torch.autocast(self.device_type, dtype=self.dtype) if self.dtype else nullcontext()

    def scaler(self) -> torch.amp.GradScaler | None:
        return torch.amp.GradScaler(self.device_type) if self.dtype == torch.float16 else None

    def label(self) -> str:
        return tr("{dtype} mixed", dtype=str(self.dtype).removeprefix("torch.")) if self.dtype else "float32"


def precision_for(device: torch.device, mixed_precision: bool) -> Precision:
    """The project's mixed_precision on this device (on the CPU it trains in float32, checks.py warns)."""
    amp = mixed_precision and device.type == "cuda"
    return Precision(device.type, autocast_dtype(device) if amp else None)


def discriminator_step(generator: nn.Module, discriminator: nn.Module, optimizer: torch.optim.Optimizer,
                       criterion: nn.Module, real: torch.Tensor, z: torch.Tensor,
                       autocast: Callable[[], AbstractContextManager] = nullcontext,
                       scaler: torch.amp.GradScaler | None = None,
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One discriminator update: real images labelled 1, `G(z).detach()` labelled 0.

    Returns (loss, D's scores on real, D's scores on fake, the fake images still attached to G's
    graph, for the generator's step). The detach is what keeps this loss out of the generator.
    """
    batch = real.shape[0]
    with autocast():
        fake = generator(z)
        real_scores = discriminator(real).reshape(batch)
        fake_scores = discriminator(fake.detach()).reshape(batch)
    # The loss in float32, outside autocast (as the supervised engine does): BCELoss refuses to run under it.
    real_scores, fake_scores = real_scores.float(), fake_scores.float()
    loss = criterion(real_scores, torch.ones_like(real_scores)) + criterion(fake_scores, torch.zeros_like(fake_scores))
    _update(loss, optimizer, scaler)
    return loss.detach(), real_scores.detach(), fake_scores.detach(), fake


def generator_step(discriminator: nn.Module, optimizer: torch.optim.Optimizer, criterion: nn.Module,
                   fake: torch.Tensor, autocast: Callable[[], AbstractContextManager] = nullcontext,
                   scaler: torch.amp.GradScaler | None = None) -> torch.Tensor:
    """One generator update: the (just updated) discriminator's verdict on a fresh pass, labelled real."""
    with autocast():
        scores = discriminator(fake).reshape(fake.shape[0])
    scores = scores.float()
    loss = criterion(scores, torch.ones_like(scores))
    _update(loss, optimizer, scaler)
    return loss.detach()


def _update(loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler | None) -> None:
    optimizer.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:  # float16: the loss scaled up so small gradients survive; a step with inf/NaN gradients is skipped
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()


class GanTrainer(BaseTrainer):
    """Like Trainer: an iterator of the same events (Started, Step..., EpochEnd, Finished or Failed) with a
    cooperative stop that ends within one batch, a checkpoint after each epoch and exact resume."""

    def __init__(self, run: GanRun, checkpoint: str | Path | None = None, resume: bool = False,
                 multiprocessing_context: str | None = None) -> None:
        super().__init__(run, checkpoint, resume, multiprocessing_context)
        self.generator: nn.Module | None = None
        self.discriminator: nn.Module | None = None
        self.fixed_z: torch.Tensor | None = None
        self.precision = precision_for(self.device, run.settings.training.mixed_precision)
        self.scalers: tuple[torch.amp.GradScaler | None, torch.amp.GradScaler | None] = (None, None)  # G's, D's
        self._last_good: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]] | None = None

    def series(self) -> tuple[Series, ...]:
        return (Series("d_loss", N_("D loss"), "step", STEP_LOSS),
                Series("g_loss", N_("G loss"), "step", STEP_LOSS),
                Series("d_loss", N_("D loss"), "epoch", EPOCH_LOSS),
                Series("g_loss", N_("G loss"), "epoch", EPOCH_LOSS),
                Series("d_real", "D(x)", "epoch", SCORE), Series("d_fake", "D(G(z))", "epoch", SCORE),
                Series("lr", N_("learning rate"), "epoch", LEARNING_RATE))

    def showcase(self, epoch: int, on_demand: bool = False) -> GeneratedImages:
        return GeneratedImages(epoch, self.sample().numpy(), on_demand)

    def trained(self) -> TrainedGan | None:
        if self.generator is None or not self.history:
            return None
        return TrainedGan(self.run.generator, self.run.code, _cpu(self.generator), list(self.history),
                          self.run.pair(), _cpu(self.discriminator))

    def _optimizer(self, model: nn.Module, lr: float | None, side: dict) -> torch.optim.Optimizer:
        training = self.run.settings.training
        options = {**training.options, **side}
        return OPTIMIZERS[training.optimizer].make(model.parameters(), lr or training.lr, options)

    def _batches(self, generator: torch.Generator):
        cfg = self.run.settings.data
        data = self.run.data
        if data.tensors is not None and cfg.num_workers == 0:
            x = data.tensors[0]
            if self.device.type == "cuda" and x.nbytes < torch.cuda.mem_get_info(self.device)[0] * 0.25:
                x = x.to(self.device)
            return TensorBatches(x, None, cfg.batch_size, cfg.shuffle, generator)
        indices = torch.arange(len(data.dataset))
        return data_loader(data.dataset, indices, cfg.batch_size, cfg.shuffle, cfg.num_workers, generator,
                           self.device.type == "cuda", self.multiprocessing_context)

    def sample(self) -> torch.Tensor:
        """The generator on the fixed latent batch, as images in [0, 1] on the CPU."""
        g = self.generator
        was_training = g.training
        g.eval()
        with torch.inference_mode():
            images = self.run.to_image_range(g(self.fixed_z).float()).cpu()
        g.train(was_training)
        return images

    def _train(self) -> Iterator[Event]:
        run, training = self.run, self.run.settings.training
        device = self.device
        generator, discriminator = (m.to(device) for m in run.new_models())
        self.generator, self.discriminator = generator, discriminator
        opt_g = self._optimizer(generator, training.g_lr, training.g_options)
        opt_d = self._optimizer(discriminator, training.d_lr, training.d_options)
        criterion = LOSSES[training.loss].make()
        precision = self.precision
        scaler_g, scaler_d = self.scalers = precision.scaler(), precision.scaler()
        shuffle = torch.Generator().manual_seed(training.seed)
        noise = torch.Generator(device=device).manual_seed(training.seed)
        self.fixed_z = torch.randn(SAMPLE_COUNT, *run.latent_shape, generator=noise, device=device)
        start_epoch = self._restore(opt_g, opt_d, shuffle, noise) if self.resume else 0
        batches = self._batches(shuffle)
        steps = len(batches)
        probability = torch.sigmoid if run.logits else (lambda t: t)
        yield Started(f"{run.generator} vs {run.discriminator}", describe(device), start_epoch, training.epochs, steps,
                      len(run.data.dataset), 0, tuple(run.warnings), precision.label(), None, self.series(),
                      tr("{count:,} real images", count=len(run.data.dataset)))
        if start_epoch >= training.epochs:
            yield self._finished("completed", tr("already trained {count} epochs; ask for more epochs to go on",
                                                 count=start_epoch))
            return
        for epoch in range(start_epoch + 1, training.epochs + 1):
            started = time.perf_counter()
            sums = torch.zeros(4, dtype=torch.float64, device=device)  # d_loss, g_loss, d_real, d_fake
            count = 0
            pending: list[torch.Tensor] = []
            lr = opt_g.param_groups[0]["lr"]
            for index, (x, _target) in enumerate(batches, start=1):
                if self._stop.is_set():
                    yield self._finished("stopped", tr("stopped by request during epoch {epoch}", epoch=epoch))
                    return
                real = run.to_model_range(x.to(device, non_blocking=True))
                batch = real.shape[0]
                for _ in range(training.d_steps):
                    z = torch.randn(batch, *run.latent_shape, generator=noise, device=device)
                    d_loss, real_scores, fake_scores, fake = discriminator_step(
                        generator, discriminator, opt_d, criterion, real, z, precision.autocast, scaler_d)
                g_loss = generator_step(discriminator, opt_g, criterion, fake, precision.autocast, scaler_g)
                d_real, d_fake = probability(real_scores).mean(), probability(fake_scores).mean()
                sums += torch.stack([d_loss, g_loss, d_real, d_fake]).to(torch.float64) * batch
                count += batch
                pending.append(torch.stack([d_loss, g_loss]).max())
                if len(pending) >= self.check_every:
                    check_finite(pending, index)
                yield Step(epoch, index, steps, batch, {"d_loss": d_loss, "g_loss": g_loss}, lr)
            check_finite(pending, steps)
            d_l, g_l, d_r, d_f = (sums / max(count, 1)).tolist()
            record = EpochRecord(epoch, {"d_loss": d_l, "g_loss": g_l, "d_real": d_r, "d_fake": d_f}, lr,
                                 time.perf_counter() - started)
            self.history.append(record)
            self._last_good = (_cpu(generator), _cpu(discriminator))
            if self.checkpoint_path is not None:
                self._save_checkpoint(epoch, shuffle, {
                    "kind": "gan", "model": self._last_good[0], "discriminator": self._last_good[1],
                    "optimizer": opt_g.state_dict(), "d_optimizer": opt_d.state_dict(),
                    "scaler": _state(scaler_g), "d_scaler": _state(scaler_d),
                    "noise": noise.get_state(), "fixed_z": self.fixed_z.cpu(), "best": None, "bad_epochs": 0})
            yield EpochEnd(record, False)
        yield self._finished("completed", tr("trained {count} epochs", count=training.epochs))

    def _restore(self, opt_g: Any, opt_d: Any, shuffle: torch.Generator, noise: torch.Generator) -> int:
        state = self._load_checkpoint()
        if state.get("kind") != "gan":
            raise CheckpointError(tr("{path}: made by a supervised run, not a GAN; train without --resume to start "
                                     "over", path=self.checkpoint_path))
        epoch = self._restore_states(state, {"model": self.generator, "discriminator": self.discriminator},
                                     {"optimizer": opt_g, "d_optimizer": opt_d, "scaler": self.scalers[0],
                                      "d_scaler": self.scalers[1]}, shuffle)
        noise.set_state(state["noise"])
        self.fixed_z = state["fixed_z"].to(self.device)
        self._last_good = (_cpu(self.generator), _cpu(self.discriminator))
        return epoch

    def _restore_last_good(self) -> None:
        if self._last_good is not None:
            self.generator.load_state_dict(self._last_good[0])
            self.discriminator.load_state_dict(self._last_good[1])

    def _free_gpu(self) -> None:
        for model in (self.generator, self.discriminator):
            if model is not None:
                for parameter in model.parameters():
                    parameter.grad = None
        self._restore_last_good()
        torch.cuda.empty_cache()

    def _finished(self, reason: str, message: str) -> Finished:
        return Finished(reason, message, len(self.history), None, tuple(self.history))


@dataclass
class TrainedGan(TrainedModel):
    """A trained generator (`state`) and its discriminator (`other`): exported together, and able to draw."""

    gan: GanPair | None = None
    other: dict[str, Any] | None = None

    def models(self) -> tuple[nn.Module, nn.Module]:
        run = self.gan
        generator, discriminator = run.classes[run.generator](), run.classes[run.discriminator]()
        generator.load_state_dict(self.state)
        discriminator.load_state_dict(self.other)
        return generator, discriminator

    def export_folder(self, folder: Path) -> list[Path]:
        return export_gan(folder, self.gan, *self.models())

    def generate(self) -> GeneratedImages:
        """From the kept generator, on the same latent batch the run drew every epoch's grid from."""
        generator, _ = self.models()
        generator.eval()
        z = torch.randn(SAMPLE_COUNT, *self.gan.latent_shape, generator=torch.Generator().manual_seed(self.gan.seed))
        with torch.no_grad():
            images = self.gan.to_image_range(generator(z))
        return GeneratedImages(len(self.history), images.numpy(), on_demand=True)


    def generate_one(self, seed: int, offsets: list[float] | None = None) -> Any:
        """One image (C×H×W in [0, 1]) from the latent vector `seed` draws, each offset added to a pair of its
        values (the first to values 0 and 1, the next to 2 and 3...), as Try It's sliders move them."""
        generator, _ = self.models()
        generator.eval()
        z = torch.randn(1, *self.gan.latent_shape, generator=torch.Generator().manual_seed(seed))
        flat = z.view(-1)
        for pair, offset in enumerate(offsets or []):
            flat[2 * pair:2 * pair + 2] += offset
        with torch.no_grad():
            return self.gan.to_image_range(generator(z))[0].numpy()


def _state(scaler: torch.amp.GradScaler | None) -> dict[str, Any] | None:
    return scaler.state_dict() if scaler is not None else None


def _cpu(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def sample_script(run: GanPair) -> str:
    """`sample.py` for an export folder: loads the generator and writes a PNG grid (torch and Pillow only).

    Only validated numbers (the latent shape, the output range) and the sanitized class name go in.
    """
    cls = run.code.class_names[run.generator]
    a, b = run.scale
    return f'''"""Images from the trained generator {cls}: python sample.py [COUNT] [OUT.png] [SEED]"""

import math
import sys

import numpy as np
import torch
from PIL import Image

from model import {cls}

LATENT = {tuple(run.latent_shape)!r}  # the generator's Input: one latent vector per image
SCALE = ({a!r}, {b!r})  # the generator's output is SCALE[0] * image + SCALE[1], for images in [0, 1]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    out = sys.argv[2] if len(sys.argv) > 2 else "samples.png"
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    generator = {cls}()
    generator.load_state_dict(torch.load("{cls}.pt", weights_only=True))
    generator.eval()
    with torch.no_grad():
        z = torch.randn(count, *LATENT, generator=torch.Generator().manual_seed(seed))
        images = ((generator(z) - SCALE[1]) / SCALE[0]).clamp(0, 1)
    n, c, h, w = images.shape
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = np.zeros((rows * (h + 2) + 2, columns * (w + 2) + 2, c), dtype=np.uint8)
    pixels = (images.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    for i in range(n):
        r, k = divmod(i, columns)
        grid[2 + r * (h + 2):2 + r * (h + 2) + h, 2 + k * (w + 2):2 + k * (w + 2) + w] = pixels[i]
    Image.fromarray(grid[:, :, 0] if c == 1 else grid[:, :, :3]).save(out)
    print(f"wrote {{out}} ({{n}} images)")


if __name__ == "__main__":
    main()
'''


def export_gan(out_dir, run: GanPair, generator: nn.Module, discriminator: nn.Module) -> list:
    """Both models' weights (.pt and .safetensors), model.py with both classes, sample.py and a README."""
    from pathlib import Path

    from builder.core.atomic import atomic_write_text
    from builder.train.checkpoint import save_weights

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in ((run.generator, generator), (run.discriminator, discriminator)):
        for suffix in (".pt", ".safetensors"):
            path = out_dir / f"{run.code.class_names[name]}{suffix}"
            save_weights(model.state_dict(), path)
            written.append(path)
    for name, text in (("model.py", run.code.source), ("sample.py", sample_script(run)),
                       ("README.md", GAN_README.format(g=run.code.class_names[run.generator],
                                                       d=run.code.class_names[run.discriminator]))):
        atomic_write_text(out_dir / name, text)
        written.append(out_dir / name)
    return written


GAN_README = """# A GAN trained with NN Builder

- `model.py`: both models' code (plain PyTorch): the generator `{g}` and the discriminator `{d}`.
- `{g}.pt`, `{d}.pt` (and `.safetensors`): their trained weights.
- `sample.py`: `python sample.py 64 samples.png` writes a grid of 64 generated images (needs torch and Pillow).
"""
