"""The retention request, without an engine: a dry run unless asked otherwise."""

from __future__ import annotations

from functions.workflows.retention.request import RetentionRequest, parse_request


def test_retention_is_a_dry_run_unless_the_request_says_otherwise() -> None:
    request = parse_request({"name": "nightly", "pipelines": ["web"]})
    assert isinstance(request, RetentionRequest)
    assert request.dry_run is True
    assert request.flow() == {"dry_run": True}


def test_a_request_names_every_bad_field() -> None:
    problems = parse_request(
        {
            "name": "nightly",
            "pipelines": ["web", "web", "bad name"],
            "keep_images": 0,
            "builder_max_age_hours": 0,
        }
    )
    assert isinstance(problems, list)
    fields = {problem.field for problem in problems}
    assert {"pipelines.2", "keep_images", "builder_max_age_hours"} <= fields


def test_the_summary_counts_in_words() -> None:
    one = parse_request({"name": "n", "pipelines": ["web"], "keep_images": 1, "keep_amis": 1})
    assert isinstance(one, RetentionRequest)
    assert "keep the newest image and AMI of web" in one.summary()
    many = parse_request({"name": "n", "pipelines": ["web"]})
    assert isinstance(many, RetentionRequest)
    assert "keep the newest 3 images and 3 AMIs of web" in many.summary()
