"""Outside judges of a synthesized app: AWS's cfn-lint and the AWS Solutions checks (cdk-nag)."""

from __future__ import annotations

import json

from cfnlint.api import ManualArgs, lint

from tests.stacks.conftest import Synth

# CDK puts an explicit DependsOn on a function's role next to the role's GetAtt.
CFN_LINT_IGNORED = ["W3005"]
# Regions with WorkSpaces Applications (AppStream 2.0), where resource support differs most.
REGIONS = ["us-east-1", "eu-west-1", "ap-northeast-1"]


def cfn_lint_findings(synth: Synth) -> dict[str, list[str]]:
    """cfn-lint's findings in each template of the synth, by file name."""
    templates = sorted(synth.outdir.glob("*.template.json"))
    assert templates, synth.outdir
    return {
        template.name: [
            str(match)
            for match in lint(
                template.read_text(), config=ManualArgs(ignore_checks=CFN_LINT_IGNORED, regions=REGIONS)
            )
        ]
        for template in templates
    }


def failed_validation_reports(synth: Synth) -> list[object]:
    """The synth's validation report (the AWS Solutions checks, CDK's own template checks)."""
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    reports: list[object] = report["pluginReports"]
    return reports


def acknowledgements(synth: Synth) -> list[tuple[str, str, str]]:
    """(construct path, rule, reason) of every acknowledged finding."""
    return [
        (path, rule, reason)
        for path, entries in synth.metadata().items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule, reason in entry["data"].items()
    ]


def unused_acknowledgements(synth: Synth) -> list[tuple[str, str]]:
    """(construct path, rule) of each acknowledgement no finding of the checks, at or below it, needs."""
    return [
        (path, rule)
        for path, rule in synth.acknowledged
        if not any(
            found == rule and (where == path or where.startswith(path + "/"))
            for where, found in synth.nag_findings
        )
    ]
