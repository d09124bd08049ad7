"""Entry point of the `image-factory` console script.

Every module in `image_factory.commands` contributes its subcommands through
`register(subparsers)`; each subcommand sets `func(args) -> int` as its handler.
Exit codes: 0 success, 1 the thing ran and failed, 2 bad input (with a message).
A command group given no command (`image-factory`, `image-factory api`) prints its help
and exits 0, as `--help` does: asking what is there is not a mistake.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from image_factory import commands


class UsageError(Exception):
    """Bad input from the user: printed as one clear line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="image-factory",
        description="Build WorkSpaces Applications (AppStream 2.0) images from EC2 AMIs, locally or on AWS.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = command_group(parser, "command", "COMMAND")
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def command_group(parser: argparse.ArgumentParser, dest: str, metavar: str) -> Any:
    """Subcommands of `parser`; without one, the parser's help is printed."""

    def show_help(_: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    parser.set_defaults(func=show_help)
    return parser.add_subparsers(dest=dest, metavar=metavar)


def _version() -> str:
    try:
        return version("appstream-image-factory")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as error:
        print(f"image-factory: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`image-factory schema request | head`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    # As `python -m image_factory.cli` this file runs as `__main__`, while the commands import it
    # as `image_factory.cli`: dispatch through that module, so there is one UsageError class.
    from image_factory import cli

    sys.exit(cli.main())
