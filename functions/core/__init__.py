"""What every workflow shares: clients, settings, names, the error taxonomy, observability, the task
wrapper, run records, the wait planner and the AppStream helpers. Nothing here imports a workflow."""
