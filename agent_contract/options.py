"""Image Assistant options a pipeline request passes to the builder agent.

A module of its own so the request model, which every pipeline task loads, does not
bring the agent's other documents, which only the snapshot tasks read and write.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ImageAssistantOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    use_latest_agent_version: bool = False
    enable_dynamic_app_catalog: bool = False
