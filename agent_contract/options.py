"""Image Assistant options a pipeline request passes to the builder agent.

A module of its own so the request model, which every pipeline task loads, does not
bring the agent's other documents, which only the snapshot tasks read and write.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ImageAssistantOptions(BaseModel):
    # Built when first used (as the functions' models are): within the request model, it is built with it.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    use_latest_agent_version: bool = False
    enable_dynamic_app_catalog: bool = False
