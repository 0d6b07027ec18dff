"""Parameters that several blocks share, declared once with their help text."""

from __future__ import annotations

from builder.blocks.params import BOOL, INT, INT_PAIR, Param
from builder.core.i18n import N_


def in_channels() -> Param:
    return Param("in_channels", INT, N_("Channels coming in; leave empty to take it from the wire."),
                 default=None, min=1, optional=True, inferred=True)


def out_channels() -> Param:
    return Param("out_channels", INT, N_("Channels going out: how many filters the layer learns."), min=1,
                 short="")


def kernel_size() -> Param:
    return Param("kernel_size", INT_PAIR, N_("Size of the sliding window, e.g. 3 for 3×3, or [height, width]."),
                 min=1, short="k")


def stride(help_text: str = N_("Step of the window: 2 halves the height and width.")) -> Param:
    return Param("stride", INT_PAIR, help_text, default=1, min=1, short="s")


def padding(help_text: str = N_("Zeros added around the input on each side; kernel 3 with padding 1 keeps the "
                                "size.")) -> Param:
    return Param("padding", INT_PAIR, help_text, default=0, min=0, short="p")


def dilation() -> Param:
    return Param("dilation", INT_PAIR,
                 N_("Spacing between the kernel's taps: 2 sees a wider area with the same weights."),
                 default=1, min=1, short="d")


def bias() -> Param:
    return Param("bias", BOOL, N_("Learn an added offset per output; not needed right before BatchNorm."),
                 default=True)
