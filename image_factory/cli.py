"""Entry point of the `image-factory` console script.

Every module in `image_factory.commands` contributes its subcommands through
`register(subparsers)`; each subcommand sets `func(args) -> int` as its handler.
Exit codes: 0 success, 1 the thing ran and failed, 2 bad input (with a message; under --json,
an error document on stdout).
A command group given no command (`image-factory`, `image-factory api`) prints its help
and exits 0, as `--help` does: asking what is there is not a mistake.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn

from image_factory import commands


class CommandError(Exception):
    """A command that cannot go on: one clear line on stderr, or under --json an error document
    `{"error": {"code", "message", "fields"}}` on stdout (so a script reads one format)."""

    def __init__(
        self,
        text: str,
        *,
        code: str = "CommandFailed",
        exit_code: int = 1,
        message: str | None = None,
        fields: Sequence[dict[str, str]] = (),
    ) -> None:
        super().__init__(text)
        self.code, self.exit_code, self.fields = code, exit_code, list(fields)
        self.message = text if message is None else message

    def document(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class UsageError(CommandError):
    """Bad input from the user: printed as one clear line, exit code 2."""

    def __init__(self, text: str, fields: Sequence[dict[str, str]] = ()) -> None:
        super().__init__(text, code="InvalidInput", exit_code=2, fields=fields)


class _CommandLineMistake(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser, self.message = parser, message


class _Parser(argparse.ArgumentParser):
    """argparse's parser, its mistakes handed to main(), which prints them as --json asks."""

    def error(self, message: str) -> NoReturn:
        raise _CommandLineMistake(self, message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(arguments)
    except _CommandLineMistake as mistake:
        if "--json" not in arguments:
            argparse.ArgumentParser.error(mistake.parser, mistake.message)  # usage on stderr, exit 2
        print(json.dumps(UsageError(mistake.message).document()))
        return 2
    try:
        return int(args.func(args))
    except CommandError as error:
        if getattr(args, "json", False):
            print(json.dumps(error.document()))
        else:
            print(f"image-factory: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`image-factory schema request | head`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    # `python -m image_factory.cli` runs this file as __main__, a second copy of the module: the
    # commands raise `image_factory.cli`'s errors, which only that module's main() catches.
    from image_factory.cli import main as package_main

    sys.exit(package_main())
