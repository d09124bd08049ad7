"""The run API: start, list, show and cancel pipeline runs (behind API Gateway with IAM auth)."""
