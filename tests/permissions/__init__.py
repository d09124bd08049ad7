"""The permissions tested are the permissions deployed.

Tests marked `@pytest.mark.usefixtures("deployed_permissions")` check every AWS call a
function makes against its role's policies in the synthesized template. Evaluated: Action
and Resource (moto's matcher), iam:PassRole on the role ARN a call hands over (with
iam:PassedToService), and the conditions StringEquals, StringLike and Null (plus their
IfExists forms) on iam:PassedToService, s3:prefix, aws:RequestTag/* and aws:ResourceTag/*
(the emulator's and moto's tags). Not evaluated: other condition operators (they raise),
Deny statements (none deployed; they raise), permission boundaries, SCPs, resource policies
(bucket, topic, key policies), the KMS calls SNS makes on the caller's behalf, and the calls
of the Lambda runtime (logs, X-Ray). The state machines' own service integrations (invoking
the functions, starting and watching another workflow's execution) are checked against each
state machine's role.

Every call is then judged again by `@cloud-copilot/iam-simulate` (`simulator`), an
evaluator built on AWS's service authorization data: all condition operators, and each
resource ARN checked against the action's resource types. A test fails when either refuses.
"""
