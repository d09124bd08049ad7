"""The builder settings a request may add to CreateImageBuilder beyond the instance and its network:
license-included applications and the interface VPC endpoints administrators stream it through.

Kept beside the request (`request.py`), which builds `BuilderSettings` from them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from functions.core.request_fields import Section

# The names CreateImageBuilder's SoftwaresToInstall and SoftwaresToUninstall take: the API
# reference lists them as its possible values (seed l.2431-2479, l.2491-2539; botocore's model
# documents the same list and constrains nothing), so a name outside it is refused before a run.
LICENSE_INCLUDED_APPLICATIONS: tuple[str, ...] = tuple(
    f"Microsoft_{product}_{edition}_{bits}"
    for product, editions in (
        (
            "Office",
            (
                "2021_LTSC_Professional_Plus",
                "2024_LTSC_Professional_Plus",
                "2021_LTSC_Standard",
                "2024_LTSC_Standard",
            ),
        ),
        (
            "Visio",
            ("2021_LTSC_Professional", "2024_LTSC_Professional", "2021_LTSC_Standard", "2024_LTSC_Standard"),
        ),
        ("Project", ("2021_Professional", "2024_Professional", "2021_Standard", "2024_Standard")),
    )
    for edition in editions
    for bits in ("32Bit", "64Bit")
)


def _offered(name: str) -> str:
    if name not in LICENSE_INCLUDED_APPLICATIONS:
        # The field path names the entry; messages never echo what was written.
        raise ValueError("not a license-included application AppStream offers (the schema lists them)")
    return name


LicenseIncludedApp = Annotated[
    str,
    AfterValidator(_offered),
    WithJsonSchema({"type": "string", "enum": list(LICENSE_INCLUDED_APPLICATIONS)}),
]


def _each_once(names: list[str]) -> list[str]:
    if len(set(names)) != len(names):
        raise ValueError("names an application twice")
    return names


AppList = Annotated[
    list[LicenseIncludedApp],
    Field(max_length=len(LICENSE_INCLUDED_APPLICATIONS), json_schema_extra={"uniqueItems": True}),
    AfterValidator(_each_once),
]


class LicenseIncludedApps(Section):
    """Microsoft applications AppStream installs on (or removes from) the builder when it creates it,
    licensed and billed by AppStream (SoftwaresToInstall, SoftwaresToUninstall)."""

    install: AppList = Field(default_factory=list)
    uninstall: AppList = Field(default_factory=list, description="of those the source image includes")

    @model_validator(mode="after")
    def _install_or_uninstall(self) -> LicenseIncludedApps:
        if set(self.install) & set(self.uninstall):
            raise ValueError("an application cannot be both installed and uninstalled")
        return self


class AccessEndpoint(Section):
    """An interface VPC endpoint of the customer's VPC: administrators reach the builder only through the
    endpoints it is given (CreateImageBuilder's AccessEndpoints), so it needs no internet access."""

    endpoint_type: Literal["STREAMING"] = Field("STREAMING", description="the only type AppStream has")
    # The model asks only for a non-empty VpceId; an interface endpoint's id is how EC2 writes it.
    vpce_id: str = Field(pattern=r"^vpce-[0-9a-f]{8,17}$")

    def to_api(self) -> dict[str, Any]:
        return {"EndpointType": self.endpoint_type, "VpceId": self.vpce_id}
