"""A whole pipeline against the emulator as the workflow drives it: import, build, snapshot, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent_contract.documents import AgentJob
from appstream_emulator import Emulator, InMemoryJobsStore, ManualClock, Scenario

ROLE = "arn:aws:iam::123456789012:role/AppStreamImageFactory"

SCENARIO = """
durations: {import: 2700, validation: 900, builder_start: 720, agent_job: 600, snapshot: 2400,
            image_publish: 600, export: 2100, builder_stop: 300, builder_delete: 120}
seed: 1
"""


def wait_for(emulator: Emulator, clock: ManualClock, read: Any, wanted: str, step: float = 60) -> float:
    """Poll like the workflow's wait loops; returns the simulated seconds waited."""
    waited = 0.0
    while (state := read()) != wanted:
        assert state not in ("FAILED", "TIMED_OUT"), state
        assert waited < 6 * 3600, f"still {state} after {waited} s"
        clock.advance(step)
        waited += step
    return waited


def test_ami_to_appstream_image_and_back(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO)
    clock = ManualClock()
    jobs = InMemoryJobsStore()
    emulator = Emulator(Scenario.load(path), clock, jobs=jobs)

    emulator.call(
        "CreateImportedImage",
        {
            "Name": "golden-2026",
            "SourceAmiId": "ami-0123456789abcdef0",
            "IamRoleArn": ROLE,
            "RuntimeValidationConfig": {"IntendedInstanceType": "stream.standard.large"},
            "Tags": {"run": "r-1"},
        },
    )
    emulator.call(
        "CreateImageBuilder",
        {
            "Name": "factory-r-1",
            "ImageName": "golden-2026",
            "InstanceType": "stream.standard.large",
            "RootVolumeConfig": {"VolumeSizeInGb": 300},
        },
    )

    def builder_state() -> str:
        return str(
            emulator.call("DescribeImageBuilders", {"Names": ["factory-r-1"]})["ImageBuilders"][0]["State"]
        )

    def image_state(name: str) -> str:
        return str(emulator.call("DescribeImages", {"Names": [name]})["Images"][0]["State"])

    assert builder_state() == "PENDING_IMAGE_IMPORT"
    assert wait_for(emulator, clock, builder_state, "RUNNING") == 2700 + 900 + 720

    jobs.put_job(
        AgentJob.model_validate(
            {
                "run_id": "r-1",
                "builder_name": "factory-r-1",
                "image": {"name": "app-2026", "tags": {"run": "r-1"}},
            }
        )
    )
    assert wait_for(emulator, clock, builder_state, "SNAPSHOTTING") == 600
    assert jobs.results["factory-r-1"].status == "SUCCEEDED"
    assert wait_for(emulator, clock, lambda: image_state("app-2026"), "AVAILABLE") == 2400 + 600
    assert builder_state() == "STOPPED"

    task = emulator.call(
        "CreateExportImageTask", {"ImageName": "app-2026", "AmiName": "app-2026-ami", "IamRoleArn": ROLE}
    )["ExportImageTask"]

    def export_state() -> str:
        return str(
            emulator.call("GetExportImageTask", {"TaskId": task["TaskId"]})["ExportImageTask"]["State"]
        )

    assert wait_for(emulator, clock, export_state, "COMPLETED") == 2100

    emulator.call("DeleteImageBuilder", {"Name": "factory-r-1"})
    clock.advance(120)
    inventory = emulator.inventory()
    assert inventory["image_builders"] == []
    assert inventory["images"] == [
        {"name": "golden-2026", "state": "AVAILABLE", "type": "CUSTOM"},
        {"name": "app-2026", "state": "AVAILABLE", "type": "CUSTOM"},
    ]
    [exported] = inventory["export_tasks"]
    assert exported["state"] == "COMPLETED" and exported["ami_id"].startswith("ami-")
    assert emulator.call_counts["CreateImageBuilder"] == 1
