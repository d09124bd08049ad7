"""Powertools Logger, Tracer and Metrics shared by every handler (service name from the environment)."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics, Tracer

# The functions reach the network only through boto3, so the Tracer patches botocore alone:
# patching every library the X-Ray SDK supports would import requests and sqlite3 into each
# cold start, for calls the functions never make.
TRACED_MODULES = ("botocore",)

logger = Logger()
tracer = Tracer(patch_modules=TRACED_MODULES)
metrics = Metrics()

# botocore logs every request's parameters at DEBUG, sensitive members included (the app
# catalog's launch parameters): keep the SDK at INFO even when a function runs at DEBUG.
for sdk_logger in ("botocore", "boto3", "urllib3"):
    logging.getLogger(sdk_logger).setLevel(logging.INFO)
