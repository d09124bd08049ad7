"""The state of one emulated AppStream account in one region, and the helpers operations share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..errors import AppStreamError
from ..scenario import ResourceFault, Scenario, ScenarioError
from .amis import AmiRegistry
from .aws_events import DELAY_SECONDS, AwsEvent
from .catalog import AGENT_VERSION, PUBLIC_BASE_IMAGES
from .faults import ResourceFaults
from .randomness import Randomness
from .resources import AppBlockBuilder, ExportTask, Fleet, Image, ImageBuilder, Resource
from .timeline import Timeline


@dataclass(frozen=True)
class PhaseEnd:
    """A scheduled phase that ran to its end: `subject` (a resource name or export task id) at `at`."""

    phase: str
    subject: str | None
    at: float


class Agent(Protocol):
    """The builder agent as the account wakes it: `agent.BuilderAgent`, which works on the account,
    so the account names what it needs of the agent instead of importing it."""

    def builder_running(self, account: Account, builder: ImageBuilder, when: float) -> None: ...

    def poll(self, account: Account, now: float) -> None: ...

    def next_poll(self, account: Account, now: float) -> float | None: ...


class Account:
    """One account in one region. The emulator's own region holds what the scenario says exists at
    the start; another region starts with AWS's base images only (`home=False`) and shares the home
    region's resource faults (`faults`), so a fault's count spans regions."""

    def __init__(
        self,
        scenario: Scenario,
        account_id: str,
        region: str,
        now: float,
        *,
        home: bool = True,
        faults: ResourceFaults | None = None,
    ) -> None:
        self.scenario = scenario
        self.account_id = account_id
        self.region = region
        self.now = now
        self.timeline = Timeline()
        self.random = Randomness(scenario)
        shared = faults or ResourceFaults([f for f in scenario.faults if isinstance(f, ResourceFault)])
        self.resource_faults = shared.in_region(region)
        # The same account in another region (CopyImage's destination); set by the emulator.
        self.region_account: Callable[[str], Account] | None = None
        self.images: dict[str, Image] = {}
        self.builders: dict[str, ImageBuilder] = {}
        self.exports: dict[str, ExportTask] = {}
        self.fleets: dict[str, Fleet] = {}
        self.app_block_builders: dict[str, AppBlockBuilder] = {}
        self.agent: Agent | None = None
        # Where an export's AMI is made besides the task (an EC2 the host runs); None: only the task.
        self.amis: AmiRegistry | None = None
        # When each resource reached its next state: benchmarks compare it with when a run noticed.
        self.phase_ends: list[PhaseEnd] = []
        # What other services have sent about this account and the host has not taken yet.
        self.outbox: list[AwsEvent] = []
        self._add_public_images()
        if home:
            self._add_existing_images()
            self._add_existing_fleets()
            self._add_existing_app_block_builders()

    # --- time -------------------------------------------------------------------------------

    def settle(self, now: float) -> None:
        self.now = max(self.now, now)
        self.timeline.settle(self.now)
        if self.agent is not None:
            self.agent.poll(self, self.now)
            self.timeline.settle(self.now)

    def next_change(self) -> float | None:
        """When the account next changes by itself: a scheduled transition, or an agent's next look
        for its job (a host that waits for changes wakes then, as the agent would)."""
        due = [self.timeline.next_due()]
        if self.agent is not None:
            due.append(self.agent.next_poll(self, self.now))
        return min((when for when in due if when is not None), default=None)

    def after(
        self,
        phase: str,
        action: Callable[[float], None],
        owner: Resource | None,
        start: float,
        subject: str | None = None,
    ) -> float:
        """Schedule `action` when `phase` (started at `start`) ends; returns that time.

        `subject` names what the phase is about when `owner` does not (an export task).
        """
        when = start + self.random.duration(phase)
        subject = subject if subject is not None else (owner.name if owner is not None else None)

        def end(at: float) -> None:
            action(at)
            self.phase_ends.append(PhaseEnd(phase, subject, at))

        self.timeline.at(when, end, owner)
        return when

    # --- events other services send ---------------------------------------------------------

    def send(self, event: AwsEvent) -> None:
        """Put `event` in the outbox as best effort delivers it (`assumptions.aws_events`)."""
        delivery = self.scenario.assumptions.aws_events
        if delivery == "dropped":
            return
        if delivery == "delayed":
            self.timeline.at(event.at + DELAY_SECONDS, lambda _at: self.outbox.append(event))
            return
        self.outbox.append(event)

    # --- names -------------------------------------------------------------------------------

    def arn(self, kind: str, name: str, owner: str | None = None) -> str:
        account = self.account_id if owner is None else owner
        return f"arn:aws:appstream:{self.region}:{account}:{kind}/{name}"

    def image_by_name(self, name: str) -> Image:
        image = self.images.get(name)
        if image is None:
            raise AppStreamError("ResourceNotFoundException", f"The image {name} does not exist.")
        return image

    def in_region(self, region: str) -> Account:
        """This account in `region` (itself for its own)."""
        if region == self.region:
            return self
        if self.region_account is None:
            raise AppStreamError("ResourceNotAvailableException", f"The region {region} is not available.")
        return self.region_account(region)

    def image_by_arn(self, arn: str) -> Image:
        for image in self.images.values():
            if image.arn == arn:
                return image
        raise AppStreamError("ResourceNotFoundException", f"The image {arn} does not exist.")

    def builder(self, name: str) -> ImageBuilder:
        builder = self.builders.get(name)
        if builder is None:
            raise AppStreamError("ResourceNotFoundException", f"The image builder {name} does not exist.")
        return builder

    def check_role(self, role_arn: str | None) -> None:
        if role_arn is not None and role_arn in self.scenario.invalid_roles:
            raise AppStreamError(
                "InvalidRoleException",
                f"AppStream 2.0 cannot assume the role {role_arn}. Make sure the role exists "
                "and trusts appstream.amazonaws.com.",
            )

    def private_images(self) -> list[Image]:
        return [image for image in self.images.values() if image.owned]

    def check_image_quota(self) -> None:
        if len(self.private_images()) >= self.scenario.quotas.images:
            raise AppStreamError(
                "LimitExceededException",
                f"The number of images has reached its limit ({self.scenario.quotas.images}).",
            )

    # --- setup -------------------------------------------------------------------------------

    def _add_existing_images(self) -> None:
        for existing in self.scenario.images:
            self.images[existing.name] = Image(
                name=existing.name,
                arn=self.arn("image", existing.name, owner=existing.shared_by),
                created=self.now - existing.age_days * 86400,
                visibility="PRIVATE" if existing.shared_by is None else "SHARED",
                shared_by=existing.shared_by,
                allow_image_builder=existing.allow_image_builder,
                state="AVAILABLE",
                tags=dict(existing.tags),
                agent_version=AGENT_VERSION,
                from_update=existing.up_to_date,
                volume_gb=existing.volume_gb,
            )

    def _add_existing_fleets(self) -> None:
        for existing in self.scenario.fleets:
            image = self.images.get(existing.image)
            if image is None:
                raise ScenarioError(f"fleets: {existing.name}: no image {existing.image!r} in the account")
            self.fleets[existing.name] = Fleet(
                name=existing.name,
                arn=self.arn("fleet", existing.name),
                created=self.now,
                state="RUNNING" if existing.running else "STOPPED",
                image_name=image.name,
                image_arn=image.arn,
                instance_type=existing.instance_type,
                fleet_type=existing.fleet_type,
                desired=1,
                attributes={"Platform": image.platform},
                root_volume_gb=existing.root_volume_gb,
            )

    def _add_existing_app_block_builders(self) -> None:
        for existing in self.scenario.app_block_builders:
            self.app_block_builders[existing.name] = AppBlockBuilder(
                name=existing.name,
                arn=self.arn("app-block-builder", existing.name),
                created=self.now,
                state="STOPPED",
                instance_type=existing.instance_type,
                app_block_arn=self.arn("app-block", existing.app_block) if existing.app_block else None,
                attributes={"VpcConfig": {"SubnetIds": list(existing.subnet_ids)}},
            )

    def _add_public_images(self) -> None:
        for name, platform, released in PUBLIC_BASE_IMAGES:
            released_at = dt.datetime.fromisoformat(released).replace(tzinfo=dt.UTC).timestamp()
            self.images[name] = Image(
                name=name,
                arn=self.arn("image", name, owner=""),
                created=released_at,
                state="AVAILABLE",
                visibility="PUBLIC",
                image_type="NATIVE",
                platform=platform,
                display_name=name.replace("-", " "),
                description=f"Base image {name} published by AWS",
                agent_version=AGENT_VERSION,
                released=released_at,
            )
