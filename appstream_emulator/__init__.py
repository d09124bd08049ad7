"""A faithful, stateful local emulator of the AppStream (WorkSpaces Applications) API.

`Emulator(Scenario.load("scenario.yaml"), ManualClock()).call("DescribeImages", {})` runs
one operation; the in-process and HTTP fronts put boto3 clients and the AWS CLI on top.
"""

from .clock import Clock, ManualClock, RealClock, ScaledClock
from .core import Emulator
from .domain.account import PhaseEnd
from .domain.jobs import InMemoryJobsStore, JobDocumentError, JobsStore, S3JobsStore
from .errors import AppStreamError
from .scenario import Scenario, ScenarioError, scenario_json_schema

__all__ = [
    "AppStreamError",
    "Clock",
    "Emulator",
    "InMemoryJobsStore",
    "JobDocumentError",
    "JobsStore",
    "ManualClock",
    "PhaseEnd",
    "RealClock",
    "S3JobsStore",
    "ScaledClock",
    "Scenario",
    "ScenarioError",
    "scenario_json_schema",
]
