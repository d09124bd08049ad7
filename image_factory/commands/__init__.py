"""Subcommands of `image-factory`: each module here defines `register(subparsers)`.

The CLI discovers the modules of this package, so a new command is a new module.
"""
