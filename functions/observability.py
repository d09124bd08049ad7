"""Powertools Logger, Tracer and Metrics shared by every handler (service name from the environment)."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# botocore logs every request's parameters at DEBUG, sensitive members included (the app
# catalog's launch parameters): keep the SDK at INFO even when a function runs at DEBUG.
for sdk_logger in ("botocore", "boto3", "urllib3"):
    logging.getLogger(sdk_logger).setLevel(logging.INFO)
