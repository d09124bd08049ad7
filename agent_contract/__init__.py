"""The contract between the workflow and the builder agent: the documents they exchange through S3.

Neither side owns it: the task functions write jobs and read results, the agent (and the
emulator's simulated agent) reads jobs and writes results and status. It depends on pydantic
only, and ships in the Lambda bundle beside `functions`.
"""
