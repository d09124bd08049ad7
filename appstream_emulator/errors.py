"""The one exception the emulator core raises: an AppStream error by its model name."""

from __future__ import annotations


class AppStreamError(Exception):
    """An error as AppStream returns it: `code` is the botocore error shape name.

    The fronts turn it into the wire error of the protocol in use, so a boto3
    client raises `client.exceptions.<code>` with `message`.
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
