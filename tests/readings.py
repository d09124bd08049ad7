"""Every reading of every open question (scenario `assumptions`), grouped so end-to-end tests stay few.

Profile i takes each question's i-th reading (its last one once it has fewer), so the profiles
cover every reading of every question, and there are only as many as the question with the most
readings has. Profile 0 is the emulator's default. The questions: docs/emulator-fidelity.md.
"""

from __future__ import annotations

import typing
from typing import Any

import pytest

from appstream_emulator.scenario import Assumptions


def _readings() -> dict[str, tuple[str, ...]]:
    return {name: typing.get_args(field.annotation) for name, field in Assumptions.model_fields.items()}


def profiles() -> list[dict[str, str]]:
    readings = _readings()
    count = max(len(values) for values in readings.values())
    return [
        {name: values[min(i, len(values) - 1)] for name, values in readings.items()} for i in range(count)
    ]


def every_reading() -> Any:
    """`pytest.mark.parametrize("assumptions", ...)` over the profiles, each named by its readings."""
    return pytest.mark.parametrize(
        "assumptions", profiles(), ids=["+".join(profile.values()) for profile in profiles()]
    )
