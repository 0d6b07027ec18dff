"""`builder templates` and `builder new TEMPLATE OUT.json`: start a project from a packaged template."""

from __future__ import annotations

import argparse
from pathlib import Path

from builder.cli.common import ArgumentError
from builder.core.atomic import atomic_write_text
from builder.core.i18n import tr
from builder.core.templates import TEMPLATES, template, template_text

NAME = "templates"
NEW = "new"
NAMES = (NAME, NEW)


def add_parser(commands: argparse._SubParsersAction) -> None:
    listing = commands.add_parser(
        NAME, help=tr("list the project templates"),
        description=tr("List the templates `builder new` can start from: the example and well-known networks, "
                       "each ready to train on the built-in data."))
    listing.set_defaults(run=list_templates)
    new = commands.add_parser(
        NEW, help=tr("write a new project from a template"),
        description=tr("Write a new project file from a template (see `builder templates`), e.g. "
                       "`builder new lenet net.json`, ready for `builder check` and `builder train`."))
    new.add_argument("template", metavar="TEMPLATE", help=tr("a template's name, as `builder templates` lists it"))
    new.add_argument("out", metavar="OUT.json", help=tr("the project file to write"))
    new.add_argument("--force", action="store_true", help=tr("overwrite OUT.json if it exists"))
    new.set_defaults(run=new_project)


def list_templates(_args: argparse.Namespace) -> int:
    width = max(len(t.name) for t in TEMPLATES)
    for item in TEMPLATES:
        print(tr("{name}  {title}: {description}", name=item.name.ljust(width), title=tr(item.title),
                 description=tr(item.description)))
    return 0


def new_project(args: argparse.Namespace) -> int:
    try:
        chosen = template(args.template)
    except KeyError as exc:
        raise ArgumentError(tr("builder new: {error}", error=exc.args[0])) from None
    out = Path(args.out)
    if out.is_dir():
        raise ArgumentError(tr("builder new: {out} is a folder; give the project file's name, e.g. {example}",
                               out=out, example=out / "net.json"))
    if out.exists() and not args.force:
        raise ArgumentError(tr("builder new: {out} exists; use --force to overwrite it", out=out))
    if not out.parent.is_dir():
        raise ArgumentError(tr("builder new: the folder {folder} does not exist", folder=out.parent))
    atomic_write_text(out, template_text(chosen.name))
    print(tr("wrote {out} from the {title} template: builder check {out}, builder train {out}", out=out,
             title=tr(chosen.title)))
    return 0
