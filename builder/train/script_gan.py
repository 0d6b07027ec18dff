"""A GAN project's standalone `train.py`: gan_script_template.py filled in, as script.py fills in the supervised one.

It trains the generator and the discriminator on one device as GanTrainer does (the same initial weights, batches,
latent draws and per-side optimizers), so for the same seed it gives the app's losses. The project's settings go
into the settings block as repr() literals, and NN Builder's reader for the source kind is copied in.
"""

from __future__ import annotations

from typing import Any

from builder.train.gan import SAMPLE_COUNT, GanRun
from builder.train.script import filled_script

TEMPLATE = "gan_script_template.py"  # in this package


def gan_training_script(run: GanRun) -> str:
    names = run.code.class_names
    fields = {"generator": names[run.generator], "discriminator": names[run.discriminator],
              "needs": "torch, numpy and Pillow"}  # numpy and Pillow for the sample grids, whatever the reader needs
    # The data set is not split: a GAN learns from every real image.
    return filled_script(TEMPLATE, run, gan_settings(run), fields, split=False)


def gan_settings(run: GanRun) -> dict[str, Any]:
    data, training = run.settings.data, run.settings.training
    names = run.code.class_names
    return {
        "GENERATOR": names[run.generator],
        "DISCRIMINATOR": names[run.discriminator],
        "SOURCE": data.source,
        "DATA_FOLDER": str(run.project.folder),
        "IMAGE_SHAPE": tuple(run.image_shape),
        "LATENT_SHAPE": tuple(run.latent_shape),
        "SCALE": tuple(float(v) for v in run.scale),
        "BATCH_SIZE": data.batch_size,
        "SHUFFLE": data.shuffle,
        "NUM_WORKERS": data.num_workers,
        "DATA_SEED": data.seed if data.seed is not None else training.seed,
        "IN_MEMORY": data.in_memory,
        "SKIP_UNREADABLE": data.skip_unreadable,
        "LOSS": training.loss,
        "LOSS_TAKES_LOGITS": run.logits,
        "OPTIMIZER": training.optimizer,
        # Each side's learning rate and options, as GanTrainer makes its optimizers: its own where set, else shared.
        "G_LR": training.g_lr or training.lr,
        "D_LR": training.d_lr or training.lr,
        "G_OPTIONS": {**training.options, **training.g_options},
        "D_OPTIONS": {**training.options, **training.d_options},
        "D_STEPS": training.d_steps,
        "EPOCHS": training.epochs,
        "SEED": training.seed,
        "DEVICE": training.device,
        "MIXED_PRECISION": training.mixed_precision,
        "SAMPLE_COUNT": SAMPLE_COUNT,
    }
