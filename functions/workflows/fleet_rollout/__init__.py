"""Fleet rollout: point fleets at a new image, stopping a fleet only in its maintenance window."""
