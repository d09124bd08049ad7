"""The state machines: each `<workflow>.asl.json` here is generated from `<workflow>.py`.

Build them with `python -m statemachines.build` (see its docstring); `statemachines.dsl` holds
the shapes they are made of, with Retry and Catch derived from the error taxonomy.
"""
