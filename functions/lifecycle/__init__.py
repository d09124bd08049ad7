"""Lifecycle workflows around the image pipeline: export backups, managed updates, rollout, retention."""
