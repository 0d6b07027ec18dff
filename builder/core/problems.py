"""A problem found in a graph or a file, pinned to where it is."""

from __future__ import annotations

from dataclasses import dataclass

from builder.core.i18n import tr


@dataclass(frozen=True)
class Fix:
    """A one-click repair: insert a block of type `insert` on the wire into `before`'s first input."""

    insert: str
    before: str

    @property
    def label(self) -> str:
        return tr("Insert {block} before {node}", block=self.insert, node=self.before)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with the node it belongs to (None for the model or file as a whole).

    `related` names further nodes involved (the other nodes of a cycle, say), so a view can
    highlight all of them while the message is shown once. `model` is set where a problem is reported
    for a project of several models (`G/up1: ...`); a model's own check leaves it out.
    """

    node: str | None
    message: str
    related: tuple[str, ...] = ()
    warning: bool = False  # worth knowing, but the model still compiles and trains
    model: str | None = None
    fix: Fix | None = None  # a repair the editor can make in one step
    # Inside a use of a module: the nodes from the use down to the block at fault (`layer2.0 › conv1`: the
    # problem is on the use layer2.0, path ("conv1",)).
    path: tuple[str, ...] = ()

    @property
    def place(self) -> str:
        """`layer2.0 › conv1`, `G/up1`, or "" for the model as a whole."""
        where = "/".join(part for part in (self.model, self.node) if part is not None)
        return " › ".join(part for part in (where, *self.path) if part)

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message


def printable(text: str, limit: int = 60) -> str:
    """Text from a file as a message shows it: one printable line, cut short after `limit` characters.

    A key or value echoed raw could break a message in two (a newline), hide its start (a carriage
    return), send a terminal control code, or fail to print at all (a lone surrogate)."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])
    return shown + "..." if len(text) > limit else shown
