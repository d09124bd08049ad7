"""Alarms that need a person, sent to the notification topic, and one dashboard per stage.

Task functions raise named errors on purpose (the state machine retries throttling and
catches terminal failures), so a single Lambda error is normal: a function alarms on
several errors in five minutes, and a failed or timed-out run always alarms, whichever
workflow it belongs to (the image pipeline or a lifecycle workflow).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.core import names
from functions.workflows import get_workflow
from stacks.house import POWERTOOLS_SERVICE, metrics_namespace

# Powertools metric the AppStream service layer emits each time AppStream throttles a call.
PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        topic: sns.ITopic,
        pipeline: sfn.StateMachine,
        starters: Sequence[sfn.StateMachine],
        functions: Sequence[lambda_.Function],
        dead_letters: sqs.IQueue,
        workflows: Mapping[str, sfn.StateMachine] | None = None,
    ) -> None:
        """`workflows`: the lifecycle state machines by name, alarmed and graphed like the pipeline."""
        super().__init__(scope, construct_id)
        self._action = actions.SnsAction(topic)
        appstream_throttled = cloudwatch.Metric(
            namespace=metrics_namespace(stage),
            metric_name=names.APPSTREAM_THROTTLED_METRIC,
            dimensions_map={"service": POWERTOOLS_SERVICE},
            statistic="Sum",
            period=PERIOD,
        )
        task_throttles = _sum_of(
            "Task throttles", [function.metric_throttles(period=PERIOD) for function in functions]
        )

        self.alarms = [
            self._alarm(
                "RunsFailed", pipeline.metric_failed(period=PERIOD), 1, "An image pipeline run failed"
            ),
            self._alarm(
                "RunsTimedOut", pipeline.metric_timed_out(period=PERIOD), 1, "A run hit its time limit"
            ),
            self._alarm(
                "AppStreamThrottling", appstream_throttled, 20, "AppStream throttled many calls in 5 minutes"
            ),
            self._alarm(
                "TriggersFailed",
                dead_letters.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum"
                ),
                1,
                "A schedule or event could not start a run: see the dead-letter queue",
            ),
        ]
        # Per function: an alarm on a math expression may combine at most 10 metrics.
        for function in functions:
            name = function.node.id
            self.alarms.append(
                self._alarm(
                    f"{name}Errors", function.metric_errors(period=PERIOD), 5, f"{name} raised many errors"
                )
            )
            self.alarms.append(
                self._alarm(
                    f"{name}Throttles", function.metric_throttles(period=PERIOD), 1, f"{name} was throttled"
                )
            )
        for index, starter in enumerate(starters):
            self.alarms.append(
                self._alarm(
                    f"ImageBuilderStarterFailed{index}",
                    starter.metric_failed(period=PERIOD),
                    1,
                    "An EC2 Image Builder image could not start its run",
                )
            )

        lifecycle = dict(workflows or {})
        for name, machine in lifecycle.items():
            prefix = _construct_prefix(name)
            self.alarms.append(
                self._alarm(
                    f"{prefix}RunsFailed", machine.metric_failed(period=PERIOD), 1, f"A {name} run failed"
                )
            )
            self.alarms.append(
                self._alarm(
                    f"{prefix}RunsTimedOut",
                    machine.metric_timed_out(period=PERIOD),
                    1,
                    f"A {name} run hit its time limit",
                )
            )

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.days(7))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Runs: image pipeline",
                left=[
                    pipeline.metric_started(period=PERIOD, label="started"),
                    pipeline.metric_succeeded(period=PERIOD, label="succeeded"),
                    pipeline.metric_failed(period=PERIOD, label="failed"),
                    pipeline.metric_timed_out(period=PERIOD, label="timed out"),
                    pipeline.metric_aborted(period=PERIOD, label="cancelled"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Run duration (p50, max)",
                left=[
                    pipeline.metric_time(period=Duration.hours(1), statistic="p50", label="p50"),
                    pipeline.metric_time(period=Duration.hours(1), statistic="Maximum", label="max"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Task errors by function",
                left=[function.metric_errors(period=PERIOD) for function in functions],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Throttling: task functions and AppStream",
                left=[task_throttles],
                right=[appstream_throttled.with_(label="AppStream throttled calls")],
                width=12,
            ),
        )
        if lifecycle:  # one row of lifecycle workflows: each one's runs, by how they ended
            width = max(6, 24 // len(lifecycle))
            self.dashboard.add_widgets(
                *(
                    cloudwatch.GraphWidget(title=f"Runs: {name}", left=_run_outcomes(machine), width=width)
                    for name, machine in lifecycle.items()
                )
            )
        self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))

    def _alarm(
        self, construct_id: str, metric: cloudwatch.IMetric, threshold: int, description: str
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        return alarm


def _sum_of(label: str, metrics: Sequence[cloudwatch.IMetric]) -> cloudwatch.MathExpression:
    return cloudwatch.MathExpression(
        expression="SUM([" + ",".join(f"m{index}" for index in range(len(metrics))) + "])",
        using_metrics={f"m{index}": metric for index, metric in enumerate(metrics)},
        label=label,
        period=PERIOD,
    )


def _run_outcomes(machine: sfn.StateMachine) -> list[cloudwatch.IMetric]:
    return [
        machine.metric_started(period=PERIOD, label="started"),
        machine.metric_succeeded(period=PERIOD, label="succeeded"),
        machine.metric_failed(period=PERIOD, label="failed"),
        machine.metric_timed_out(period=PERIOD, label="timed out"),
    ]


def _construct_prefix(workflow: str) -> str:
    """`export-backup` -> `ExportBackup`: the workflow's name as its stack output spells it."""
    return get_workflow(workflow).placeholder.removesuffix("StateMachineArn")
