"""The time an answer may take, shared by every upstream call made for it.

A Lambda behind API Gateway is cut off at its timeout; an answer that cannot be had by then must become a
504 with errors JSON while there is still time to say so. The deadline travels in a context variable so
that the HTTP session both clients use can shorten each request's timeout to what is left.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from typing import NamedTuple, Protocol

RESERVED_FOR_RECORDING_SECONDS = 2.0


class HasRemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


class Deadline(NamedTuple):
    expires_at: float

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)

    @classmethod
    def for_invocation(cls, context: HasRemainingTime) -> "Deadline":
        """What Lambda leaves this invocation, less the time kept back to record the answer and reply."""
        return cls.after(context.get_remaining_time_in_millis() / 1000 - RESERVED_FOR_RECORDING_SECONDS)

    def remaining(self) -> float:
        return self.expires_at - time.monotonic()


_current: ContextVar[Deadline | None] = ContextVar("connected_deadline", default=None)


def current_deadline() -> Deadline | None:
    return _current.get()


@contextmanager
def deadline_of(deadline: Deadline | None) -> Iterator[None]:
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)


def in_this_context[T](function: Callable[..., T]) -> Callable[..., T]:
    """Wraps `function` to run in a copy of the caller's context, so a pool thread sees its deadline."""
    context = copy_context()
    return lambda *args, **kwargs: context.run(function, *args, **kwargs)
