"""`image-factory run --local REQUEST --config FILE`: the configuration's chains run after the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from image_factory.cli import main

pytestmark = pytest.mark.slow

ROLES = {
    "import_role_arn": "arn:aws:iam::123456789012:role/image-factory-appstream-import",
    "builder_role_arn": "arn:aws:iam::123456789012:role/image-factory-image-builder",
    "export_role_arn": "arn:aws:iam::123456789012:role/image-factory-appstream-export",
}
# The bundled `from-existing-image` example's pipeline.
PIPELINE = {
    "name": "from-existing-image",
    "request": {
        "source": {"image_name": "AppStream-WinServer2022-09-08-2025"},
        "builder": {"instance_type": "stream.standard.medium", "subnet_ids": ["subnet-0a1b2c3d4e5f60718"]},
        "snapshot": {"mode": "agent", "image_name": "{pipeline}-{date}-{run}"},
    },
}


def config_file(tmp_path: Path, fleet: str) -> str:
    """A configuration that rolls each image of from-existing-image out to `fleet`."""
    rollout = {
        "name": "test-fleet-rollout",
        "after_pipeline": "from-existing-image",
        "request": {"fleets": [{"name": fleet}]},
    }
    document = {"roles": ROLES, "pipelines": [PIPELINE], "lifecycle": {"fleet_rollouts": [rollout]}}
    path = tmp_path / "pipelines.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(path)


# The example the README runs: from-existing-image, then a rollout of web-always-on.
BUNDLED_CHAINS = str(Path(__file__).resolve().parents[2] / "image_factory" / "examples" / "chains.yaml")


def run(config: str, *options: str) -> list[str]:
    return ["run", "--local", "from-existing-image", "--scenario", "fleets", "--config", config, *options]


def test_the_pipeline_run_starts_the_chained_rollout_which_moves_the_fleet_to_its_image(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(run(BUNDLED_CHAINS, "--json")) == 0

    report = json.loads(capsys.readouterr().out)
    new_image = report["resources"]["snapshot"]["image_name"]
    (chained,) = report["chained"]
    assert chained["rule"] == "web-test-rollout-after-from-existing-image"
    assert chained["status"] == "SUCCEEDED"
    fleet = chained["resources"]["rollout:web-always-on"]
    assert (fleet["image"], fleet["previous_image"], fleet["outcome"]) == (
        new_image,
        "web-20261001",
        "UPDATED",
    )


def test_a_failed_chained_rollout_fails_the_command_though_the_pipeline_run_succeeded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(run(config_file(tmp_path, "no-such-fleet"))) == 1

    out = capsys.readouterr().out
    assert "  chains: 1 rule from " in out
    assert "Rule test-fleet-rollout-after-from-existing-image started run run-002-" in out
    summaries = [line for line in out.splitlines() if line.startswith("Run run-")]
    assert [line.split(":")[1].split()[0] for line in summaries] == ["SUCCEEDED", "FAILED"]


def test_a_configuration_with_a_mistake_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pipelines.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "roles": ROLES,
                "lifecycle": {
                    "fleet_rollouts": [
                        {
                            "name": "orphan",
                            "after_pipeline": "nowhere",
                            "request": {"fleets": [{"name": "web-elastic"}]},
                        }
                    ]
                },
            }
        ),
        encoding="utf-8",
    )

    assert main(run(str(path))) == 2
    assert "after_pipeline: 'nowhere' is not one of pipelines[].name" in capsys.readouterr().err
