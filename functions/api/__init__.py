"""The run API: start, list, show and cancel runs of every workflow (behind API Gateway with IAM auth)."""
