"""Domain errors: plain exceptions saying what went wrong, never how a protocol reports it.

The web shell (``vocservice/errors.py``) maps each class to one RFC 9457 problem type and HTTP
status; the CLI prints the detail. ``errors`` optionally names the fields at fault.
"""


class DomainError(Exception):
    """Base class: the request cannot be carried out as asked."""

    def __init__(self, detail: str, *, errors: dict | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class Invalid(DomainError):
    """The input breaks a rule (a field, a range, a reference)."""


class NotFound(DomainError):
    """No such thing, or not visible to this caller."""


class Conflict(DomainError):
    """The thing exists already, or its state forbids the change."""


class Gone(DomainError):
    """It existed but can no longer be used (an expired or cancelled survey link)."""


class Unauthorized(DomainError):
    """The caller could not be identified (missing or wrong credentials or signature)."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class Malformed(DomainError):
    """The input cannot be read at all (bad encoding, not JSON, nested too deep, a NUL in a path)."""
