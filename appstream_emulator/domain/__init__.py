"""The emulated account and everything that changes its state.

Resources, their states and the transitions scheduled on the account's timeline, quotas,
injected resource faults and the simulated builder agent live here; the API operations
(`appstream_emulator.operations`) check requests and call into this package, never the
other way round.
"""
