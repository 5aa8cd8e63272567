"""Use cases: the only layer that writes. Each function checks rules, writes, audits and commits."""


class ServiceError(Exception):
    """A business rule refused the change; the message is shown to the user as is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(Exception):
    """The record does not exist or lies outside the user's scope; the web layer answers 404 either way."""
