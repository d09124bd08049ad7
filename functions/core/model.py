"""The base of the functions' pydantic models: each builds its validator and serializer when first used.

Every task function imports the modules its workflow shares, and with them models of states and
services it never touches (another task's event, a phase it does not run, a policy's decisions).
Building a model's schema at class creation would make each cold start pay for all of them; a
deferred model is built the first time it validates or dumps, by the function that needs it. A
task's own event model is built at its function's init (`functions.core.task`), where every one
of its requests needs it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
