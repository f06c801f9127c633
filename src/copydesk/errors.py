"""The one exception tree of copydesk.

Every error the library raises on purpose is a ``CopydeskError``; third-party errors are translated at
the boundary (``raise InputError(...) from exc``) so callers catch one family::

    CopydeskError
    ├── ConfigError             bad settings file, env value or option
    ├── UsageError              a request that cannot be served as asked (bad id, bad format name)
    │   └── NotFoundError       an id that is not in the store
    ├── MissingExtraError       an optional dependency group is not installed
    ├── InputError              one input (file, record, page) cannot be turned into an article
    │   ├── UnsupportedInputError
    │   ├── OversizedInputError
    │   ├── UndecodableInputError
    │   └── ExtractionError
    │       └── ExtractionTimeoutError
    ├── FetchError              a URL could not be fetched
    │   ├── BlockedAddressError    private / loopback / link-local target without --allow-private
    │   └── RobotsDisallowedError
    ├── HandoffLost             a helper process's result left in a file could not be read back
    └── StoreError              the database cannot be opened, migrated or written
        └── MigrationError

An ``InputError`` is never fatal to a run: the runner records it as a skipped input and goes on.
"""

from __future__ import annotations


class CopydeskError(Exception):
    """Base of every error copydesk raises on purpose."""


class ConfigError(CopydeskError):
    """A settings file, environment variable or option has a value copydesk cannot use."""


class UsageError(CopydeskError):
    """The request cannot be served as asked; the message says what to do instead."""


class NotFoundError(UsageError):
    """An article, story or other id that the store does not hold."""


class MissingExtraError(CopydeskError):
    """An optional dependency group is missing; the message names the ``pip install`` to run."""

    def __init__(self, extra: str, feature: str, missing: str) -> None:
        self.extra = extra
        self.feature = feature
        self.missing = missing
        super().__init__(
            f"{feature} needs the '{extra}' extra ({missing} is not installed): "
            f"pip install 'copydesk[{extra}]'"
        )


class InputError(CopydeskError):
    """One input could not be read or turned into an article; the run skips it and goes on."""

    kind = "input"

    def __init__(self, origin: str, reason: str) -> None:
        self.origin = origin
        self.reason = reason
        super().__init__(f"{origin}: {reason}")


class UnsupportedInputError(InputError):
    kind = "unsupported"


class OversizedInputError(InputError):
    kind = "oversized"


class UndecodableInputError(InputError):
    kind = "undecodable"


class ExtractionError(InputError):
    kind = "extraction"


class ExtractionTimeoutError(ExtractionError):
    kind = "timeout"


class FetchError(CopydeskError):
    """A URL could not be fetched (network, status, size, robots, address policy).

    ``kind`` names the failure in run summaries (``network``, ``http``, ``oversized``...); the fetcher
    turns every ``FetchError`` into a skipped input, never a crash.
    """

    kind = "fetch"

    def __init__(self, url: str, reason: str, *, kind: str | None = None) -> None:
        self.url = url
        self.reason = reason
        if kind is not None:
            self.kind = kind
        super().__init__(f"{url}: {reason}")


class BlockedAddressError(FetchError):
    """The URL resolves to a private, loopback, link-local or reserved address."""

    kind = "blocked-address"


class RobotsDisallowedError(FetchError):
    """The site's robots.txt disallows the URL for copydesk's user agent."""

    kind = "robots"


class HandoffLost(CopydeskError):
    """A result a helper process left in a file (``copydesk.run.handoff``) could not be read back
    (removed or cut short meanwhile): the caller makes it again, as it does when the helper died."""


class StoreError(CopydeskError):
    """The database cannot be opened, migrated or written."""


class MigrationError(StoreError):
    """A schema migration failed; the database was left at the last applied migration."""
