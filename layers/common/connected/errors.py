"""One exception type per failure a caller must tell apart. Their HTTP statuses live in `http.py` alone."""

from collections.abc import Mapping, Sequence


class ConnectedError(Exception):
    """Base of every failure the API answers with an errors JSON body."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages: tuple[str, ...] = messages


class SameHandleError(ConnectedError):
    def __init__(self, dev1: str, dev2: str) -> None:
        super().__init__(f"{dev1} and {dev2} are the same developer: give two different handles")


class InvalidHandleError(ConnectedError):
    """A handle that can be a user on neither service (register route only)."""

    def __init__(self, handles: Sequence[str]) -> None:
        super().__init__(*(f"{handle} is not a valid handle on github or twitter" for handle in handles))


class InvalidQueryError(ConnectedError):
    """A register query parameter (limit, cursor, since, until) that cannot be used."""


class UnknownUsersError(ConnectedError):
    """One or more handles name no user on a service; messages follow the contract's order."""


class FollowsUnreadableError(ConnectedError):
    """Both X accounts are protected, so neither follow list can be read with an app token."""

    def __init__(self, dev1: str, dev2: str) -> None:
        super().__init__(
            f"cannot tell whether {dev1} and {dev2} follow each other on twitter: both accounts are protected"
        )


class UpstreamError(ConnectedError):
    """GitHub or X failed: 5xx, refused credentials, an unreadable answer, a connection that broke."""

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service} failed: {detail}")
        self.service = service


class UpstreamRateLimitedError(ConnectedError):
    def __init__(self, service: str, retry_after_seconds: int) -> None:
        super().__init__(f"{service} rate limit reached: retry in {retry_after_seconds} seconds")
        self.service = service
        self.retry_after_seconds = retry_after_seconds


class UpstreamTimeoutError(ConnectedError):
    def __init__(self, service: str) -> None:
        super().__init__(f"{service} did not answer in time")
        self.service = service


class RegisterUnavailableError(ConnectedError):
    """The register could not be written or read; for a write, nothing was recorded and no answer is given."""


class ConfigurationError(ConnectedError):
    """The function is deployed without something it needs (table name, X credentials)."""


def classified[V](error: BaseException, by_type: Mapping[type, V], default: V) -> V:
    """What `by_type` says of the error's nearest class it names (a subclass inherits its parent's entry)."""
    return next((by_type[kind] for kind in type(error).__mro__ if kind in by_type), default)
