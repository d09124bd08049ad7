"""Managed updates: CreateUpdatedImage after a dry-run check, optionally followed by an export."""
