"""The bundled examples: each request is named like its file, so a run says which example made it."""

from __future__ import annotations

import pytest

from image_factory.local_engine.inputs import example_names, load_request_document


@pytest.mark.parametrize("example", example_names("requests"))
def test_a_bundled_request_is_named_like_its_file(example: str) -> None:
    _, request = load_request_document(example)

    assert request.get("pipeline", request.get("name")) == example
