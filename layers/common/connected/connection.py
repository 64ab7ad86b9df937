"""The connection check: are developers following each other on X and members of a common public GitHub
organisation? For a pair, or for every pair of a team; every fresh answer is recorded before it is returned.

Stage 1 asks GitHub for every developer's organisations and X for every account, in one lookup, at once.
Follow lists, which X bills per user returned, are read only for pairs that share an organisation, each list
at most once, the cheapest that can still decide something first, within the answer's read budget
(`follows.py`). What X bills is kept within the day's budgets by the X client itself (`spending.py`).
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import NamedTuple

from connected.deadline import Deadline, deadline_of, in_this_context
from connected.errors import (
    ConnectedError,
    ObjectedError,
    RegisterUnavailableError,
    UndecidableError,
    UnknownUsersError,
)
from connected.follows import FollowPlanner, ListRead
from connected.handles import Pair, can_be_github_login, can_be_x_username, refuse_without_calls
from connected.models import Record, Verdict, XAccount
from connected.objections import Objections
from connected.ports import AnswerRegister, Upstreams, XDirectory
from connected.spending import settle_current


class Answer(NamedTuple):
    """A pair's verdict and its register record: the one written for a fresh answer, or, `from_register`, the
    young enough one it was taken from."""

    verdict: Verdict
    record: Record
    follow_reads: tuple[ListRead, ...] = ()
    from_register: bool = False

    @property
    def x_users_read(self) -> int:
        return sum(read.users_read for read in self.follow_reads)

    def age_seconds(self, now: datetime) -> int:
        return max(0, int((now - self.record.registered_at).total_seconds()))


class TeamPair(NamedTuple):
    """One pair of a team, handles as the caller wrote them: its answer, or why it cannot be told."""

    dev1: str
    dev2: str
    answer: Answer | None
    undecided: ConnectedError | None = None


class TeamAnswer(NamedTuple):
    pairs: tuple[TeamPair, ...]
    follow_reads: tuple[ListRead, ...]

    @property
    def x_users_read(self) -> int:
        return sum(read.users_read for read in self.follow_reads)

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "pairs": [
                {"dev1": pair.dev1, "dev2": pair.dev2, **pair.answer.verdict.to_json()}
                for pair in self.pairs
                if pair.answer is not None
            ]
        }
        undecided = [
            {"dev1": pair.dev1, "dev2": pair.dev2, "reason": pair.undecided.messages[0]}
            for pair in self.pairs
            if pair.undecided is not None
        ]
        if undecided:
            body["undecided"] = undecided
        return body


class _Stage1(NamedTuple):
    organisations: Mapping[str, list[str] | None]
    accounts: Mapping[str, XAccount]


class _Decisions(NamedTuple):
    """The fresh verdict, or why there is none, of each pair asked about (by index)."""

    verdicts: dict[int, Verdict | UndecidableError]
    follow_reads: tuple[ListRead, ...]


def _ignore(_operation: str, _error: Exception) -> None:
    """The default `on_register_trouble`."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ConnectionService:
    def __init__(
        self,
        upstreams: Upstreams | Callable[[], Upstreams],
        register: AnswerRegister,
        executor: Executor,
        max_x_users_read: int = 0,
        on_register_trouble: Callable[[str, Exception], None] = _ignore,
        clock: Callable[[], datetime] = _utc_now,
        objections: Objections | None = None,
    ) -> None:
        """`upstreams`, GitHub and X, or what gives them at the start of each fresh answer (on the calling
        thread, never for an answer from the register: the real clients need the tokens). `executor` runs the
        upstream calls of stage 1 and the register's calls side by side: it needs a thread for each developer of
        the largest team. `on_register_trouble` hears of the register reads that failed without failing the
        answer (an answer from the register). `clock` tells the age of records.
        `objections`, the objection list, is read before anything about a handle is asked of an upstream or read
        from the register; None: no list (tests, the demo)."""
        self._upstreams = upstreams if callable(upstreams) else lambda: upstreams
        self._register = register
        self._executor = executor
        self._max_x_users_read = max_x_users_read
        self._on_register_trouble = on_register_trouble
        self._clock = clock
        self._objections = objections

    def answer(
        self, dev1: str, dev2: str, deadline: Deadline | None = None, max_age: timedelta | None = None
    ) -> Answer:
        """The pair's answer: its latest record when one is at most `max_age` old, else a fresh one, decided and
        recorded; raises a `ConnectedError` otherwise.

        Upstream calls give up at `deadline` (an `UpstreamTimeoutError`), leaving time to reply."""
        refuse_without_calls([dev1, dev2])
        if self._objections is not None:
            self._objections.refuse([dev1, dev2])
        with deadline_of(deadline):
            remembered = self._remembered(Pair.of(dev1, dev2), max_age) if max_age is not None else None
            if remembered is not None:
                return remembered
            decisions = self._decide([dev1, dev2], [(0, 1)])
            verdict = decisions.verdicts[0]
            if isinstance(verdict, UndecidableError):
                verdict.x_users_read = sum(read.users_read for read in decisions.follow_reads)
                raise verdict
            with self._settled_aside():
                return Answer(verdict, self._register.record(Pair.of(dev1, dev2), verdict), decisions.follow_reads)

    def team(
        self,
        handles: Sequence[str],
        deadline: Deadline | None = None,
        max_age: timedelta | None = None,
    ) -> TeamAnswer:
        """Every pair of the team, in the order the handles were given: each from the register when young
        enough, the others decided together, every follow list read at most once; the decided ones recorded
        side by side. A pair that cannot be told is listed as undecided, with its reason; so is every pair
        naming a handle on the objection list, which is neither looked up nor read from the register."""
        refuse_without_calls(handles)
        objected = self._objections.objected(handles) if self._objections is not None else frozenset()
        pairs_of_team = list(combinations(range(len(handles)), 2))
        objectors = {index for index, handle in enumerate(handles) if handle.lower() in objected}
        barred = {pair for pair in pairs_of_team if objectors.intersection(pair)}
        indexes = [pair for pair in pairs_of_team if pair not in barred]
        with deadline_of(deadline):
            remembered = self._all_remembered(handles, indexes, max_age) if max_age is not None else {}
            fresh = [pair for pair in indexes if pair not in remembered]
            members = sorted({member for pair in fresh for member in pair})
            at = {member: position for position, member in enumerate(members)}
            decisions = (
                self._decide([handles[member] for member in members], [(at[one], at[other]) for one, other in fresh])
                if fresh
                else _Decisions({}, ())
            )
            verdicts = {pair: decisions.verdicts[number] for number, pair in enumerate(fresh)}
            decided = {pair: verdict for pair, verdict in verdicts.items() if isinstance(verdict, Verdict)}
            with self._settled_aside():
                recorded = self._record_all(handles, decided)
        pairs = []
        for pair in pairs_of_team:
            first, second = handles[pair[0]], handles[pair[1]]
            verdict = verdicts.get(pair)
            if pair in barred:
                pairs.append(TeamPair(first, second, None, ObjectedError()))
            elif isinstance(verdict, UndecidableError):
                pairs.append(TeamPair(first, second, None, verdict))
            else:
                pairs.append(TeamPair(first, second, remembered.get(pair) or recorded[pair]))
        return TeamAnswer(tuple(pairs), decisions.follow_reads)

    @contextmanager
    def _settled_aside(self) -> Iterator[None]:
        """X is done with: what the answer reserved and X did not bill is given back while the block runs."""
        settling = self._executor.submit(in_this_context(settle_current))
        try:
            yield
        finally:
            settling.exception()

    def _remembered(self, pair: Pair, max_age: timedelta) -> Answer | None:
        return remembered(self._register, pair, max_age, self._clock(), self._on_register_trouble)

    def _all_remembered(
        self, handles: Sequence[str], indexes: list[tuple[int, int]], max_age: timedelta
    ) -> dict[tuple[int, int], Answer]:
        futures = {
            pair: self._executor.submit(in_this_context(self._remembered), _pair_of(handles, pair), max_age)
            for pair in indexes
        }
        return {pair: answer for pair, future in futures.items() if (answer := future.result()) is not None}

    def _record_all(
        self, handles: Sequence[str], verdicts: dict[tuple[int, int], Verdict]
    ) -> dict[tuple[int, int], Answer]:
        """Records every decided pair side by side; unless every record was written, no answer is given."""
        futures = {
            pair: self._executor.submit(in_this_context(self._register.record), _pair_of(handles, pair), verdict)
            for pair, verdict in verdicts.items()
        }
        failed = [pair for pair, future in futures.items() if future.exception() is not None]
        if failed:
            raise RegisterUnavailableError(
                f"the register recorded {len(futures) - len(failed)} of the {len(futures)} pairs decided; "
                "the answer is not given"
            ) from futures[failed[0]].exception()
        return {pair: Answer(verdicts[pair], future.result()) for pair, future in futures.items()}

    def _decide(self, handles: Sequence[str], pairs: list[tuple[int, int]]) -> _Decisions:
        """Fresh verdicts for `pairs` of `handles` (indexes): stage 1, then the follow lists the pairs that share
        an organisation need."""
        upstreams = self._upstreams()
        stage1 = self._look_up(upstreams, handles)
        _raise_for_unknown_users(handles, stage1)
        return self._decisions(upstreams.x, handles, pairs, stage1)

    def _decisions(
        self, x: XDirectory, handles: Sequence[str], pairs: list[tuple[int, int]], stage1: _Stage1
    ) -> _Decisions:
        verdicts: dict[int, Verdict | UndecidableError] = {}
        sharing: dict[int, tuple[str, ...]] = {}
        for number, (first, second) in enumerate(pairs):
            in_pair_order = sorted((handles[first], handles[second]), key=str.lower)
            organisations = common_organisations(*(stage1.organisations[handle] or [] for handle in in_pair_order))
            if organisations:
                sharing[number] = organisations
            else:
                verdicts[number] = Verdict(connected=False)
        accounts = [
            (stage1.accounts[handles[pairs[number][0]].lower()], stage1.accounts[handles[pairs[number][1]].lower()])
            for number in sharing
        ]
        follows = FollowPlanner(x, self._max_x_users_read).mutual_follows(accounts)
        for position, (number, organisations) in enumerate(sharing.items()):
            mutual = follows.mutual[position]
            if isinstance(mutual, UndecidableError):
                verdicts[number] = mutual
            else:
                verdicts[number] = (
                    Verdict(connected=True, organisations=organisations) if mutual else Verdict(connected=False)
                )
        return _Decisions(verdicts, tuple(follows.reads))

    def _look_up(self, upstreams: Upstreams, handles: Sequence[str]) -> _Stage1:
        github_futures = {
            login: self._executor.submit(in_this_context(upstreams.github.organisations), login)
            for login in handles
            if can_be_github_login(login)
        }
        x_usernames = [handle for handle in handles if can_be_x_username(handle)]
        x_error: ConnectedError | None = None
        accounts: Mapping[str, XAccount] = {}
        try:
            accounts = upstreams.x.find_accounts(x_usernames) if x_usernames else {}
        except ConnectedError as error:
            x_error = error
        organisations: dict[str, list[str] | None] = dict.fromkeys(handles)
        organisations.update(_results(github_futures))
        if x_error is not None:
            raise x_error
        return _Stage1(organisations, accounts)


def remembered(
    register: AnswerRegister,
    pair: Pair,
    max_age: timedelta,
    now: datetime,
    on_register_trouble: Callable[[str, Exception], None],
) -> Answer | None:
    """The pair's latest record as its answer, when it is at most `max_age` old at `now`; otherwise None, and
    None too when the register cannot be read (`on_register_trouble` hears of it): a fresh answer is due."""
    try:
        record = register.latest(pair)
    except RegisterUnavailableError as error:
        on_register_trouble("read the latest answer", error)
        return None
    if record is None or now - record.registered_at > max_age:
        return None
    return Answer(record.verdict, record, from_register=True)


def common_organisations(first: list[str], second: list[str]) -> tuple[str, ...]:
    """Organisations in both lists, compared without letter case, spelled as GitHub spells them, sorted."""
    spelled = {name.casefold(): name for name in reversed(first)}
    shared = spelled.keys() & {name.casefold() for name in second}
    return tuple(spelled[key] for key in sorted(shared))


def _pair_of(handles: Sequence[str], pair: tuple[int, int]) -> Pair:
    return Pair.of(handles[pair[0]], handles[pair[1]])


def _raise_for_unknown_users(handles: Sequence[str], stage1: _Stage1) -> None:
    errors: list[str] = []
    for handle in handles:
        if stage1.organisations[handle] is None:
            errors.append(UnknownUsersError.message(handle, "github"))
        if handle.lower() not in stage1.accounts:
            errors.append(UnknownUsersError.message(handle, "twitter"))
    if errors:
        raise UnknownUsersError(*errors)


def _results(futures: Mapping[str, Future[list[str] | None]]) -> dict[str, list[str] | None]:
    """Waits for every future, so that no request outlives the answer, then raises the first failure."""
    results: dict[str, list[str] | None] = {}
    first_error: BaseException | None = None
    for handle, future in futures.items():
        error = future.exception()
        if error is not None:
            first_error = first_error or error
        else:
            results[handle] = future.result()
    if first_error is not None:
        raise first_error
    return results
