"""Talking to the run API: find it (stack outputs), sign requests (SigV4), and serve it locally."""
