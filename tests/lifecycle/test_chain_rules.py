"""The chain rules the local engine puts on its bus are the ones the stack deploys."""

from __future__ import annotations

import json
from pathlib import Path

from image_factory.local_engine.event_rules import transformed
from stacks.config import load_config
from stacks.rollout_rules import chain_rules, input_transformer
from tests.lifecycle.test_update_rollout_chain import synthesized_rule

EXAMPLE = Path(__file__).resolve().parents[2] / "stacks" / "pipelines.example.yaml"


def test_each_local_rule_has_the_pattern_and_input_transformer_the_stack_synthesizes() -> None:
    config = load_config(EXAMPLE)
    rules = chain_rules(config)

    assert [rule.job for rule in rules] == ["office-test-fleet-rollout", "office-pilot-rollout"]
    for rule in rules:
        deployed = synthesized_rule(config, rule.job)
        assert deployed["EventPattern"] == rule.pattern
        assert deployed["Targets"][0]["InputTransformer"] == input_transformer(rule.input)


def test_the_transformer_quotes_a_value_outside_quotes_and_escapes_it_inside() -> None:
    event = {"detail": {"image": 'office "2026"', "count": 3}}
    paths = {"image": "$.detail.image", "count": "$.detail.count", "gone": "$.detail.missing"}
    template = '{"image":<image>,"label":"image <image> x<count>","count":<count>,"gone":<gone>}'

    assert json.loads(transformed(template, paths, event)) == {
        "image": 'office "2026"',
        "label": 'image office "2026" x3',
        "count": 3,
        "gone": None,
    }
