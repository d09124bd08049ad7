"""Test-wide guard rails: no test can reach a real AWS account."""

from __future__ import annotations

import os

# Set before any test module creates a boto3 client: fake credentials, a fixed
# region, and no profile or metadata lookups.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "ImageFactoryTests",
        "POWERTOOLS_SERVICE_NAME": "image-factory",
    }
)
for variable in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    os.environ.pop(variable, None)
pytest_plugins = ["appstream_emulator.pytest_plugin", "tests.permissions.plugin"]
