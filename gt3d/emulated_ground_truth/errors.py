"""The refusals the emulated Ground Truth answers with: the service's error code, message and HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal the emulator sends back as the service's error response (botocore raises it as ClientError)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def validation(message: str) -> ServiceError:
    """Return the ``ValidationException`` SageMaker answers a request it refuses with."""
    return ServiceError("ValidationException", message)
