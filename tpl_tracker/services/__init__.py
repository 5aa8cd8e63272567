"""Use cases: the only layer that writes. Each function checks rules, writes, audits and flushes; the boundary
(a request, a command, a job run: tpl_tracker/transactions.py) commits."""

from collections.abc import Callable
from typing import Any


class ServiceError(Exception):
    """A business rule refused the change; the message is shown to the user as is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def errors(self) -> list["ServiceError"]:
        """Every problem this refusal stands for (one here; several in a ServiceErrors)."""
        return [self]


class ServiceErrors(ServiceError):
    """Several problems of one record, all found in one check, each with its field."""

    def __init__(self, errors: list[ServiceError]):
        super().__init__(errors[0].message, errors[0].field)
        self._errors = errors

    @property
    def errors(self) -> list[ServiceError]:
        return list(self._errors)


class Problems:
    """Collects every problem of a record instead of stopping at the first, then refuses with all of them."""

    def __init__(self):
        self.found: list[ServiceError] = []

    def check(self, rule: Callable[..., Any], *args, field: str | None = None, **kwargs) -> Any:
        """The rule's value, or None after noting its refusal (on `field` when given, else on the rule's own)."""
        try:
            return rule(*args, **kwargs)
        except ServiceError as refusal:
            for error in refusal.errors:
                self.found.append(error if field is None else ServiceError(error.message, field))
            return None

    def add(self, message: str, field: str | None = None) -> None:
        """Note a problem found by the caller."""
        self.found.append(ServiceError(message, field))

    def has(self, field: str) -> bool:
        """True when a problem was noted on the field (rules that depend on it are then skipped)."""
        return any(error.field == field for error in self.found)

    def raise_if_any(self) -> None:
        """Refuse with every problem noted, if any."""
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise ServiceErrors(self.found)


class NotFound(Exception):
    """The record does not exist or lies outside the user's scope; the web layer answers 404 either way.

    `denied` is the user refused when the record exists but lies outside their scope: the boundary audits it.
    """

    def __init__(self, target: str, denied=None):
        super().__init__(target)
        self.target = target
        self.denied = denied
