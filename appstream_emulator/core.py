"""The emulator: one stateful, thread-safe AppStream account behind `call(operation, params)`."""

from __future__ import annotations

import collections
import threading
from typing import Any

from agent_contract.documents import ImageSpec

from .clock import Clock, RealClock
from .domain.account import Account, PhaseEnd
from .domain.agent import BuilderAgent
from .domain.amis import AmiRegistry
from .domain.aws_events import AwsEvent
from .domain.image_lifecycle import cannot_create, create_image
from .domain.jobs import JobsStore
from .errors import AppStreamError
from .operations import OPERATIONS
from .operations.faults import OperationFaults
from .operations.ratelimit import RateLimiter
from .operations.validation import validate_request
from .scenario import OperationFault, Scenario


class Emulator:
    """A faithful fake of the AppStream API for one account, in its own region and any other.

    Results and parameters use botocore's Python shapes; every failure is an
    `AppStreamError` whose code is an error the model lists for the operation, or an
    AWS common error. States advance lazily from `clock` on every call. The scenario's
    resources are in the emulator's own `region`; another region the account is called in
    (or copied to) starts with AWS's base images only, and has its own resources and quotas.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        clock: Clock | None = None,
        *,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        jobs: JobsStore | None = None,
        amis: AmiRegistry | None = None,
    ) -> None:
        self.scenario = scenario if scenario is not None else Scenario()
        self.clock: Clock = clock if clock is not None else RealClock()
        self.call_counts: collections.Counter[str] = collections.Counter()
        self._lock = threading.RLock()
        self._account = Account(self.scenario, account_id, region, self.clock.now())
        self._account.region_account = self._region_account
        self._accounts: dict[str, Account] = {region: self._account}
        if jobs is not None:
            self._account.agent = BuilderAgent(jobs)
        self._account.amis = amis
        self._rate_limiter = RateLimiter(self.scenario.rate_limits)
        self._faults = OperationFaults([f for f in self.scenario.faults if isinstance(f, OperationFault)])

    @property
    def account_id(self) -> str:
        return self._account.account_id

    @property
    def region(self) -> str:
        return self._account.region

    @property
    def regions(self) -> list[str]:
        """The regions the account has been called in or copied to, its own first."""
        return list(self._accounts)

    def call(self, operation: str, params: dict[str, Any], region: str | None = None) -> dict[str, Any]:
        """Run one AppStream operation in `region` (None: the emulator's own). `operation` is the model
        name ("CreateImportedImage"), params/result use botocore's Python shapes (datetime for
        timestamps, dicts/lists, ints). Raises AppStreamError; an unknown operation ->
        AppStreamError("UnknownOperationException", ..)."""
        with self._lock:
            self.call_counts[operation] += 1
            handler = OPERATIONS.get(operation)
            if handler is None:
                raise AppStreamError(
                    "UnknownOperationException", f"The operation {operation} is not supported."
                )
            account = self._region_account(region or self.region)
            now = self.clock.now()
            self._settle(now)
            self._rate_limiter.admit(operation, now)
            params = params or {}
            about = params.get("DestinationRegion") if operation == "CopyImage" else account.region
            self._faults.check(operation, about if isinstance(about, str) else account.region)
            validate_request(operation, params)
            return handler(account, params)

    def _region_account(self, region: str) -> Account:
        """The account in `region`, made the first time the region is named: time passes alike in
        every region, so a new one starts at the clock's now."""
        account = self._accounts.get(region)
        if account is None:
            home = self._account
            account = Account(
                self.scenario, home.account_id, region, home.now, home=False, faults=home.resource_faults
            )
            account.region_account = self._region_account
            account.amis = home.amis
            self._accounts[region] = account
        return account

    def _settle(self, now: float) -> None:
        for account in list(self._accounts.values()):
            account.settle(now)

    def settle(self) -> None:
        """Apply every transition due by the clock's now without calling an operation.

        States are settled on every call anyway; this is for observers of side effects,
        such as a test or local engine reading the agent's result documents.
        """
        with self._lock:
            self._settle(self.clock.now())

    def run_image_assistant(self, builder_name: str, image: ImageSpec) -> None:
        """An administrator runs Image Assistant `create-image` on a RUNNING builder (manual snapshots).

        No AppStream API does this, so it is the emulator's own entry point; it fails the way
        Image Assistant refuses, with AppStreamError("OperationNotPermittedException", ...).
        """
        with self._lock:
            account = self._account
            account.settle(self.clock.now())
            builder = account.builders.get(builder_name)
            if builder is None or builder.state != "RUNNING":
                state = "absent" if builder is None else builder.state
                raise AppStreamError(
                    "OperationNotPermittedException", f"Image builder {builder_name} is {state}, not RUNNING."
                )
            problem = cannot_create(account, image.name)
            if problem is not None:
                raise AppStreamError("OperationNotPermittedException", problem)
            create_image(account, builder, image, account.now)

    def take_events(self) -> list[AwsEvent]:
        """The events other services sent about the account since the last take (settled first)."""
        with self._lock:
            self._settle(self.clock.now())
            taken = [event for account in self._accounts.values() for event in account.outbox]
            for account in self._accounts.values():
                account.outbox = []
            return sorted(taken, key=lambda event: event.at)

    def next_change(self) -> float | None:
        """When the account next changes by itself (None: nothing is scheduled)."""
        with self._lock:
            due = [account.next_change() for account in self._accounts.values()]
            return min((when for when in due if when is not None), default=None)

    def phase_ends(self) -> list[PhaseEnd]:
        """Every phase that has ended so far, in time order (when resources reached their states)."""
        with self._lock:
            self._settle(self.clock.now())
            ends = [end for account in self._accounts.values() for end in account.phase_ends]
            return sorted(ends, key=lambda end: end.at)

    def inventory(self, region: str | None = None) -> dict[str, Any]:
        """What exists in the emulated account now (non-public resources only), in `region` (None: the
        emulator's own); `other_regions` lists the images of every other region."""
        with self._lock:
            self._settle(self.clock.now())
            account = self._accounts.get(region or self.region) or self._region_account(region or self.region)
            return {
                "other_regions": [
                    {"region": other.region, "name": image.name, "state": image.state}
                    for other in self._accounts.values()
                    if other is not account
                    for image in other.private_images()
                ],
                "image_builders": [{"name": b.name, "state": b.state} for b in account.builders.values()],
                "images": [
                    {"name": i.name, "state": i.state, "type": i.image_type} for i in account.private_images()
                ],
                "export_tasks": [
                    {"id": t.task_id, "image_name": t.image_name, "state": t.state, "ami_id": t.ami_id}
                    for t in account.exports.values()
                ],
                "fleets": [
                    {
                        "name": f.name,
                        "state": f.state,
                        "image": f.image_name,
                        "root_volume_gb": f.root_volume_gb,
                    }
                    for f in account.fleets.values()
                ],
                "app_block_builders": [
                    {"name": a.name, "state": a.state} for a in account.app_block_builders.values()
                ],
            }
