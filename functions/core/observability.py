"""Powertools Logger, Tracer and Metrics shared by every handler (service name from the environment)."""

from __future__ import annotations

import logging
import os

from aws_lambda_powertools import Logger, Metrics, Tracer

# The functions reach the network only through boto3, so the Tracer patches botocore alone:
# patching every library the X-Ray SDK supports would import requests and sqlite3 into each
# cold start, for calls the functions never make.
TRACED_MODULES = ("botocore",)

# Lambda's environment names the service and the metrics namespace (stacks/house.py) before any
# function module is imported. A local process may import one first (the local engine reads the
# builder slots with the functions' own code): it gets these names, where Powertools would log as
# "service_undefined" and refuse to flush metrics with no namespace, failing the task.
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "image-factory"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "ImageFactory"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE, patch_modules=TRACED_MODULES)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)

# botocore logs every request's parameters at DEBUG, sensitive members included (the app
# catalog's launch parameters): keep the SDK at INFO even when a function runs at DEBUG.
for sdk_logger in ("botocore", "boto3", "urllib3"):
    logging.getLogger(sdk_logger).setLevel(logging.INFO)
