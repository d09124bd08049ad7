"""What CreateImageBuilder and StartImageBuilder accept beyond botocore's model: the API reference's rules."""

from __future__ import annotations

from typing import Any

from ..domain.catalog import AGENT_VERSION, LATEST_AGENT, LICENSE_INCLUDED_APPLICATIONS
from ..domain.resources import Image
from .validation import documented_violation

BUILDER_MAX_SUBNETS = 1  # "You can specify only one subnet." (seed l.2315)


def check_builder_request(params: dict[str, Any]) -> None:
    subnets = (params.get("VpcConfig") or {}).get("SubnetIds") or []
    if len(subnets) > BUILDER_MAX_SUBNETS:
        raise documented_violation(
            "VpcConfig.SubnetIds", subnets, f"have length less than or equal to {BUILDER_MAX_SUBNETS}"
        )
    for member in ("SoftwaresToInstall", "SoftwaresToUninstall"):
        for index, name in enumerate(params.get(member) or []):
            if name not in LICENSE_INCLUDED_APPLICATIONS:
                choices = ", ".join(sorted(LICENSE_INCLUDED_APPLICATIONS))
                raise documented_violation(
                    f"{member}.{index + 1}", name, f"satisfy enum value set: [{choices}]"
                )


def agent_version(requested: str | None) -> str:
    """The agent a builder runs: `[LATEST]` (or nothing) is the newest one (seed l.2369, l.5655)."""
    return AGENT_VERSION if requested in (None, LATEST_AGENT) else str(requested)


def managed_software(image: Image, params: dict[str, Any]) -> list[str]:
    """The license-included applications the new builder has: its image's, plus SoftwaresToInstall,
    less SoftwaresToUninstall (a name the image lacks is ignored: an assumption, see the ledger)."""
    installed = set(image.managed_software) | set(params.get("SoftwaresToInstall") or [])
    return sorted(installed - set(params.get("SoftwaresToUninstall") or []))
