"""Where an export's AMI comes to exist: nowhere but the task (the emulator alone), or in an EC2
the host runs beside it (the local engine's moto), so that what the workflows do to the AMI next
(copy it, share it, deregister it) meets a real EC2."""

from __future__ import annotations

from typing import Protocol


class AmiRegistry(Protocol):
    def register(self, region: str, name: str, description: str | None, tags: dict[str, str]) -> str:
        """Make the AMI an export completed, with the task's tags (CreateExportImageTask's
        TagSpecifications: "The tags to apply to the exported AMI"); returns its id."""
        ...
