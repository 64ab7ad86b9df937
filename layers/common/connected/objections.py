"""The objection list as a container sees it: each handle's entry read at most once a minute, so that an
objection takes effect within a minute everywhere, and a warm container asks the table only for handles it has
not seen lately."""

import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from connected.errors import ObjectedError

KEPT_SECONDS = 60.0
MAX_REMEMBERED = 10_000
"""Handles remembered at most; past it, the entries older than `KEPT_SECONDS` are dropped."""


class ObjectionReader(Protocol):
    def objected(self, handles: Iterable[str]) -> frozenset[str]:
        """Which of `handles` (lower-cased) are on the list; raises `RegisterUnavailableError` if unreadable."""
        ...


class Objections:
    def __init__(
        self, reader: ObjectionReader, clock: Callable[[], float] = time.monotonic, kept_seconds: float = KEPT_SECONDS
    ) -> None:
        self._reader = reader
        self._clock = clock
        self._kept_seconds = kept_seconds
        self._lock = threading.Lock()
        self._known: dict[str, tuple[bool, float]] = {}

    def objected(self, handles: Iterable[str]) -> frozenset[str]:
        """The lower-cased handles of `handles` on the objection list: what was read in the last minute, and,
        for the others, one read of the table. A failed read raises: an objection must not be ignored."""
        wanted = {handle.lower() for handle in handles}
        asked_at = self._clock()
        with self._lock:
            unknown = {handle for handle in wanted if not self._fresh(handle, asked_at)}
        if unknown:
            found = self._reader.objected(unknown)
            with self._lock:
                if len(self._known) >= MAX_REMEMBERED:
                    self._known = {
                        handle: seen for handle, seen in self._known.items() if self._fresh(handle, asked_at)
                    }
                self._known.update({handle: (handle in found, asked_at) for handle in unknown})
        with self._lock:
            return frozenset(handle for handle in wanted if self._known[handle][0])

    def refuse(self, handles: Iterable[str]) -> None:
        """Raises `ObjectedError` when any of `handles` is on the objection list."""
        if self.objected(handles):
            raise ObjectedError()

    def _fresh(self, handle: str, now: float) -> bool:
        seen = self._known.get(handle)
        return seen is not None and now - seen[1] < self._kept_seconds
