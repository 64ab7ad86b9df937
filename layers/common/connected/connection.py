"""The connection check: are developers following each other on X and members of a common public GitHub
organisation? For a pair, or for every pair of a team; every fresh answer is recorded before it is returned.

Stage 1 asks GitHub for every developer's organisations and X for every account, in one lookup, at once.
Follow lists, which X bills per user returned, are read only for pairs that share an organisation, each list
at most once, the cheapest that can still decide something first, within the answer's read budget
(`follows.py`). What X bills is kept within the day's budgets by the X client itself (`spending.py`).
"""

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import NamedTuple

from connected.deadline import Deadline, deadline_of, in_this_context
from connected.errors import ConnectedError, ObjectedError, RegisterUnavailableError, UnknownUsersError
from connected.follows import FollowPlanner, Follows, ListRead
from connected.handles import Pair, can_be_github_login, can_be_x_username, refuse_without_calls
from connected.models import Record, Undecided, Verdict, XAccount
from connected.objections import Objections
from connected.ports import AnswerRegister, Upstreams
from connected.spending import give_back_aside

_OBJECTED = Undecided(ObjectedError)


class Answer(NamedTuple):
    """A pair's verdict and its register record: the one written for a fresh answer, or, `from_register`, the
    young enough one it was taken from."""

    verdict: Verdict
    record: Record
    follow_reads: tuple[ListRead, ...] = ()
    from_register: bool = False

    def age_seconds(self, now: datetime) -> int:
        return max(0, int((now - self.record.registered_at).total_seconds()))


class TeamPair(NamedTuple):
    """One pair of a team, handles as the caller wrote them: its answer, or why it cannot be told."""

    dev1: str
    dev2: str
    answer: Answer | None
    undecided: Undecided | None = None


class TeamAnswer(NamedTuple):
    pairs: tuple[TeamPair, ...]
    follow_reads: tuple[ListRead, ...]

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "pairs": [
                {"dev1": pair.dev1, "dev2": pair.dev2, **pair.answer.verdict.to_json()}
                for pair in self.pairs
                if pair.answer is not None
            ]
        }
        undecided = [
            {"dev1": pair.dev1, "dev2": pair.dev2, "reason": pair.undecided.reason}
            for pair in self.pairs
            if pair.undecided is not None
        ]
        if undecided:
            body["undecided"] = undecided
        return body


class _Stage1(NamedTuple):
    """Every developer's organisations and X account, by lower-cased handle."""

    organisations: Mapping[str, list[str] | None]
    accounts: Mapping[str, XAccount]


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
        pair = Pair.of(dev1, dev2)
        with deadline_of(deadline):
            remembered = self._remembered(pair, max_age) if max_age is not None else None
            if remembered is not None:
                return remembered
            verdicts, follows = self._decide([dev1, dev2], {pair: (dev1, dev2)})
            if pair in follows.undecided:
                raise follows.undecided[pair].error()
            give_back_aside()
            return Answer(verdicts[pair], self._register.record(pair, verdicts[pair]), tuple(follows.reads))

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
        written = {Pair.of(*pair): pair for pair in combinations(handles, 2)}
        undecided = {pair: _OBJECTED for pair in written if not objected.isdisjoint(pair)}
        asked = [pair for pair in written if pair not in undecided]
        with deadline_of(deadline):
            remembered = self._all_remembered(asked, max_age) if max_age is not None else {}
            fresh = {pair: written[pair] for pair in asked if pair not in remembered}
            members = [handle for handle in handles if any(handle.lower() in pair for pair in fresh)]
            verdicts, follows = self._decide(members, fresh) if fresh else ({}, Follows())
            give_back_aside()
            answers = remembered | self._record_all(verdicts)
        undecided |= follows.undecided
        pairs = tuple(TeamPair(*written[pair], answers.get(pair), undecided.get(pair)) for pair in written)
        return TeamAnswer(pairs, tuple(follows.reads))

    def _remembered(self, pair: Pair, max_age: timedelta) -> Answer | None:
        return remembered(self._register, pair, max_age, self._clock(), self._on_register_trouble)

    def _all_remembered(self, pairs: list[Pair], max_age: timedelta) -> dict[Pair, Answer]:
        futures = {pair: self._executor.submit(in_this_context(self._remembered), pair, max_age) for pair in pairs}
        return {pair: answer for pair, future in futures.items() if (answer := future.result()) is not None}

    def _record_all(self, verdicts: dict[Pair, Verdict]) -> dict[Pair, Answer]:
        """Records every decided pair side by side; unless every record was written, no answer is given."""
        futures = {
            pair: self._executor.submit(in_this_context(self._register.record), pair, verdict)
            for pair, verdict in verdicts.items()
        }
        failed = [pair for pair, future in futures.items() if future.exception() is not None]
        if failed:
            raise RegisterUnavailableError(
                f"the register recorded {len(futures) - len(failed)} of the {len(futures)} pairs decided; "
                "the answer is not given"
            ) from futures[failed[0]].exception()
        return {pair: Answer(verdicts[pair], future.result()) for pair, future in futures.items()}

    def _decide(
        self, handles: Sequence[str], pairs: Mapping[Pair, tuple[str, str]]
    ) -> tuple[dict[Pair, Verdict], Follows]:
        """Fresh verdicts for `pairs` (with their handles as written) of `handles`, in their order, and what the
        follow lists told: stage 1, then the follow lists the pairs that share an organisation need."""
        upstreams = self._upstreams()
        stage1 = self._look_up(upstreams, handles)
        shared = {pair: common_organisations(*(stage1.organisations[name] or [] for name in pair)) for pair in pairs}
        follows = FollowPlanner(upstreams.x, self._max_x_users_read).mutual_follows(
            {
                pair: (stage1.accounts[dev1.lower()], stage1.accounts[dev2.lower()])
                for pair, (dev1, dev2) in pairs.items()
                if shared[pair]
            }
        )
        verdicts = {
            pair: Verdict(connected=True, organisations=common)
            if common and follows.mutual[pair]
            else Verdict(connected=False)
            for pair, common in shared.items()
            if pair not in follows.undecided
        }
        return verdicts, follows

    def _look_up(self, upstreams: Upstreams, handles: Sequence[str]) -> _Stage1:
        """Stage 1; raises for a failed upstream, then for handles that name no user."""
        github_futures = {
            login.lower(): self._executor.submit(in_this_context(upstreams.github.organisations), login)
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
        stage1 = _Stage1(_results(github_futures), accounts)
        if x_error is not None:
            raise x_error
        _raise_for_unknown_users(handles, stage1)
        return stage1


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


def _raise_for_unknown_users(handles: Sequence[str], stage1: _Stage1) -> None:
    errors: list[str] = []
    for handle in handles:
        if stage1.organisations.get(handle.lower()) is None:
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
