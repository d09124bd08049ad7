"""The emulated account and everything that changes its state.

Resources, the quotas they count against, injected resource faults, the transitions scheduled on
the account's timeline (one `*_lifecycle` module per kind of resource) and the simulated builder
agent live here. The API operations (`appstream_emulator.operations`) check a request, build the
resource it describes and hand it to a lifecycle, which owns every change of state from then on,
on the clock or caused by another resource. The operations call into this package, never the
other way round.
"""
