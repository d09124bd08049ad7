#!/usr/bin/env python3
"""CDK entry point of AppStream Image Factory: `npx cdk synth|deploy [-c stage=NAME] [-c config=PATH]`."""

from __future__ import annotations

import sys

from stacks.application import create_app
from stacks.config import ConfigError


def main() -> int:
    try:
        app = create_app()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
