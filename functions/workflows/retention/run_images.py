"""Images that RUNNING runs still need, read from their run records: retention never deletes them.

AppStream refuses DeleteImage only once a builder, fleet or export holds the image, which
leaves gaps: a pipeline run waiting for a builder slot has not created the builder that
will start from its source image yet, and an image the run has just made is held by
nothing until its export starts. A run names its images in its records before it uses
them, so those records say what to keep:

* the run item's `request`: the image a pipeline builds from (`source.image_name`), the
  image a managed update or fleet rollout starts from (`image_name`), the image an export
  backup was asked for (`images.image_name`);
* each step item's `resource`, written when the step starts: the image a pipeline run
  imports, snapshots or exports, or an export backup exports (`image_name`), the image a
  rollout moves a fleet to (`image`);
* the run item's `resources`, one per finished phase: the image that phase made or checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from functions.core.records import RunRecords

IMAGE_KEYS = frozenset({"image_name", "image"})
PAGE_SIZE = 100


def images_of_running_runs(records: RunRecords) -> dict[str, list[str]]:
    """Image name -> the ids of the RUNNING runs whose records name it."""
    used: dict[str, list[str]] = {}
    for run in _running_runs(records):
        run_id = str(run["run_id"])
        steps = records.get_steps(run_id)
        documents = [run.get("request"), run.get("resources"), *(step.get("resource") for step in steps)]
        for name in sorted(set(_image_names(documents))):
            used.setdefault(name, []).append(run_id)
    return used


def reason(run_ids: Iterable[str]) -> str:
    """Why an image is kept: the runs that still need it."""
    ids = sorted(set(run_ids))
    return ("used by running run " if len(ids) == 1 else "used by running runs ") + ", ".join(ids)


def _running_runs(records: RunRecords) -> Iterator[dict[str, Any]]:
    start: dict[str, Any] | None = None
    while True:
        runs, start = records.list_runs(None, "RUNNING", PAGE_SIZE, start)
        yield from runs
        if start is None:
            return


def _image_names(document: Any) -> Iterator[str]:
    """Every image name under an image key, at any depth; name templates (`{pipeline}-...`) are no images."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in IMAGE_KEYS and isinstance(value, str) and value and "{" not in value:
                yield value
            else:
                yield from _image_names(value)
    elif isinstance(document, list):
        for item in document:
            yield from _image_names(item)
