"""`max_age`: how old a recorded answer may be and still be given instead of a fresh one."""

from collections.abc import Mapping
from datetime import timedelta

from connected.errors import InvalidQueryError

MAX_AGE_LIMIT_SECONDS = 30 * 24 * 3600


def max_age_from(parameters: Mapping[str, str] | None) -> timedelta | None:
    """The `max_age` query parameter (0 to 30 days, in whole seconds); None when absent, as every answer is then
    fresh. Other parameters are ignored."""
    raw = (parameters or {}).get("max_age")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) > MAX_AGE_LIMIT_SECONDS:
        raise InvalidQueryError(f"max_age must be whole seconds from 0 to {MAX_AGE_LIMIT_SECONDS}")
    return timedelta(seconds=int(raw))
