"""The CDK app: one stage of the factory, its configuration file, and the AWS Solutions checks.

Context (from `cdk.json`, overridden with `-c KEY=VALUE`):
* `stage`: names the deployment; two stages fit in one account and region.
* `config`: the configuration file, relative to the project root or absolute; by default
  `stacks/pipelines.default.yaml`, which deploys in any account and region.
* `allow_placeholders`: `true` synthesizes a file that still holds the example's placeholder
  values (account 123456789012, ...), for templates that are checked, never deployed.

`python app.py` behaves like `npx cdk synth`: it reads `cdk.json` itself when the CDK
CLI did not start it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from stacks.bundling import PROJECT_ROOT
from stacks.config import ConfigError, load_config
from stacks.config_placeholders import placeholder_problems
from stacks.image_factory_stack import ImageFactoryStack

CDK_JSON = PROJECT_ROOT / "cdk.json"
STAGE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


def stack_name(stage: str) -> str:
    return f"ImageFactory-{stage}"


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]
    return context


def create_app(
    *, context: dict[str, Any] | None = None, outdir: str | None = None, include_api: bool | None = None
) -> App:
    """The app for the stage and config in `context` (cdk.json's values by default)."""
    if outdir is None and "CDK_OUTDIR" not in os.environ:
        outdir = str(PROJECT_ROOT / "cdk.out")  # where `npx cdk synth` writes too
    app = App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    stage = str(app.node.try_get_context("stage"))
    if not STAGE.match(stage):
        raise ConfigError(
            f"-c stage={stage}: a stage is 1-20 lowercase letters, digits or '-', starting with a letter"
        )
    config_path = Path(str(app.node.try_get_context("config")))
    config_path = config_path if config_path.is_absolute() else PROJECT_ROOT / config_path
    config = load_config(config_path)
    if str(app.node.try_get_context("allow_placeholders")).lower() != "true":
        problems = list(placeholder_problems(config))
        if problems:
            raise ConfigError(f"{config_path}: " + "; ".join(problems))
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    ImageFactoryStack(
        app,
        stack_name(stage),
        stage=stage,
        config=config,
        env=Environment(account=account, region=region) if account and region else None,
        include_api=include_api,
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
