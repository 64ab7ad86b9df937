"""Who follows whom, for every pair that still needs it, reading each X follow list at most once.

X has no "does A follows B" endpoint: a direction A -> B shows in A's following list or in B's followers list,
and X bills every user a list returns. One list answers many directions at once (A's following tells whether
A follows each of the others), so the lists to read are chosen together: the set of lists with the smallest
total count (X's `following_count` and `followers_count`) that covers every direction still needed. That is a
minimum-weight vertex cover of a bipartite graph (following lists on one side, followers lists on the other, a
direction an edge between the two lists that show it), found exactly as a minimum cut. The cheapest list of the
cover is read first, then the plan is made again: a pair with one direction known to fail needs no other, and
a list that became unreadable or ran past the read budget is taken out.

A pair of two developers is the smallest case: both directions, the cheaper read first, the second only when
the first holds.
"""

from collections import deque
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from connected.errors import FollowListUnreadable, FollowsUnreadableError, ListUnreadableError, OverBudgetError
from connected.handles import Pair
from connected.models import FollowScan, Undecided, XAccount
from connected.ports import XDirectory

FOLLOWING = "following"
FOLLOWERS = "followers"


class ListRead(NamedTuple):
    """One follow list read for an answer: whose, which, what it cost, and how many of the accounts looked for
    it showed (None when it answered only errors)."""

    list_read: str
    users_read: int
    looked_for: int
    found: int | None


class Follows:
    """What the planner learnt of each pair asked about: `mutual`, True when both follow each other, False when
    one does not; or `undecided`, why it cannot be told."""

    __slots__ = ("mutual", "reads", "undecided")

    def __init__(self) -> None:
        self.mutual: dict[Pair, bool] = {}
        self.undecided: dict[Pair, Undecided] = {}
        self.reads: list[ListRead] = []

    @property
    def x_users_read(self) -> int:
        return sum(read.users_read for read in self.reads)


class _List(NamedTuple):
    owner: XAccount
    relation: str

    @property
    def name(self) -> str:
        return f"{self.owner.username}/{self.relation}"

    @property
    def size(self) -> int:
        """X's count of the users in the list."""
        return self.owner.following_count if self.relation == FOLLOWING else self.owner.followers_count


def _lists_showing(follower: XAccount, followed: XAccount) -> tuple[_List, _List]:
    return _List(follower, FOLLOWING), _List(followed, FOLLOWERS)


class FollowPlanner:
    def __init__(self, x: XDirectory, max_x_users_read: int = 0) -> None:
        """`max_x_users_read` (MAX_X_USERS_READ) caps the users all the reads of one answer may return; 0 sets
        no cap."""
        self._x = x
        self._max_x_users_read = max_x_users_read

    def mutual_follows(self, pairs: Mapping[Pair, tuple[XAccount, XAccount]]) -> Follows:
        """Who follows whom in each pair, its two accounts in the order the caller named them."""
        follows = Follows()
        known: dict[tuple[str, str], bool] = {}
        # Lists that can no longer be read, with why: "protected", "unreadable" or "budget".
        closed: dict[_List, str] = {}
        for first, second in pairs.values():
            for account in (first, second):
                if account.protected:
                    closed[_List(account, FOLLOWING)] = closed[_List(account, FOLLOWERS)] = "protected"
        while True:
            needed = self._needed(pairs, follows, known, closed)
            if not needed:
                return follows
            cover = _cheapest_cover(needed, self._readable(needed, closed, follows))
            chosen = min(cover, key=lambda listed: (listed.size, listed.name))
            self._read(chosen, needed, known, closed, follows, last=cover == {chosen})

    def _needed(
        self,
        pairs: Mapping[Pair, tuple[XAccount, XAccount]],
        follows: Follows,
        known: dict[tuple[str, str], bool],
        closed: dict[_List, str],
    ) -> list[tuple[XAccount, XAccount]]:
        """The directions still needed, after settling every pair they can settle; a direction no list left can
        show settles its pair as undecidable."""
        needed: list[tuple[XAccount, XAccount]] = []
        for pair, (first, second) in pairs.items():
            if pair in follows.mutual or pair in follows.undecided:
                continue
            directions = [(first, second), (second, first)]
            outcomes = [known.get((follower.id, followed.id)) for follower, followed in directions]
            if False in outcomes or outcomes == [True, True]:
                follows.mutual[pair] = False not in outcomes
                continue
            unknown = [direction for direction, outcome in zip(directions, outcomes, strict=True) if outcome is None]
            blocked = [
                direction
                for direction in unknown
                if not any(self._open(listed, closed, follows) for listed in _lists_showing(*direction))
            ]
            if blocked:
                follows.undecided[pair] = self._why_not(blocked[0], closed, (first, second))
                continue
            needed.extend(unknown)
        return needed

    def _open(self, listed: _List, closed: dict[_List, str], follows: Follows) -> bool:
        """Readable, and no longer, by X's count, than what the read budget leaves."""
        return listed not in closed and (
            not self._max_x_users_read or listed.size <= self._max_x_users_read - follows.x_users_read
        )

    def _why_not(
        self,
        direction: tuple[XAccount, XAccount],
        closed: dict[_List, str],
        pair: tuple[XAccount, XAccount],
    ) -> Undecided:
        """Why `pair` cannot be told."""
        reasons = {listed: closed.get(listed) for listed in _lists_showing(*direction)}
        unreadable = [listed.owner.username for listed, reason in reasons.items() if reason == "unreadable"]
        names = tuple(account.username for account in direction)
        if unreadable:
            return Undecided(ListUnreadableError, (*names, unreadable[-1]))
        if all(reason == "protected" for reason in reasons.values()):
            return Undecided(FollowsUnreadableError, (pair[0].username, pair[1].username))
        return Undecided(OverBudgetError, (*names, self._max_x_users_read))

    def _readable(
        self, needed: Iterable[tuple[XAccount, XAccount]], closed: dict[_List, str], follows: Follows
    ) -> set[_List]:
        lists = {listed for direction in needed for listed in _lists_showing(*direction)}
        return {listed for listed in lists if self._open(listed, closed, follows)}

    def _read(
        self,
        listed: _List,
        needed: list[tuple[XAccount, XAccount]],
        known: dict[tuple[str, str], bool],
        closed: dict[_List, str],
        follows: Follows,
        last: bool,
    ) -> None:
        """Reads one list for every needed direction it shows, and learns what it can from it. `last`: the list
        shows every direction still needed, so that no other read follows once it is read whole."""
        looked_for = {
            _looked_for(listed, direction).id: (_looked_for(listed, direction), direction)
            for direction in needed
            if listed in _lists_showing(*direction)
        }
        left = self._max_x_users_read - follows.x_users_read if self._max_x_users_read else None
        scan_list = self._x.following_includes if listed.relation == FOLLOWING else self._x.followers_include
        try:
            targets = [account for account, _direction in looked_for.values()]
            scan: FollowScan = scan_list(listed.owner, targets, left, last)
        except FollowListUnreadable as unreadable:
            follows.reads.append(ListRead(listed.name, unreadable.x_users_read, len(looked_for), None))
            closed[_List(listed.owner, FOLLOWING)] = closed[_List(listed.owner, FOLLOWERS)] = "unreadable"
            return
        follows.reads.append(ListRead(listed.name, scan.users_read, len(looked_for), len(scan.found)))
        for account_id, (_account, (follower, followed)) in looked_for.items():
            if account_id in scan.found:
                known[(follower.id, followed.id)] = True
            elif scan.complete:
                known[(follower.id, followed.id)] = False
        if not scan.complete:
            closed[listed] = "budget"


def _looked_for(listed: _List, direction: tuple[XAccount, XAccount]) -> XAccount:
    """Whom to look for in `listed` to learn `direction`: the followed in a following list, else the follower."""
    follower, followed = direction
    return followed if listed.relation == FOLLOWING else follower


def _cheapest_cover(needed: Iterable[tuple[XAccount, XAccount]], readable: set[_List]) -> set[_List]:
    """The readable lists of smallest total count that show every needed direction (each has one readable list
    at least): a minimum-weight vertex cover of the bipartite graph whose edges are the directions, found as the
    minimum cut between following lists (from the source) and followers lists (to the sink)."""
    edges = {_lists_showing(*direction) for direction in needed}
    nodes = sorted({listed for edge in edges for listed in edge}, key=lambda listed: listed.name)
    unreadable_weight = sum(listed.size for listed in readable) + 1
    source, sink = len(nodes), len(nodes) + 1
    index = {listed: position for position, listed in enumerate(nodes)}
    capacity: dict[tuple[int, int], int] = {}
    for listed in nodes:
        weight = listed.size if listed in readable else unreadable_weight
        arc = (source, index[listed]) if listed.relation == FOLLOWING else (index[listed], sink)
        capacity[arc] = weight
    for following, followers in edges:
        capacity[(index[following], index[followers])] = unreadable_weight * len(nodes)
    reachable = _source_side_of_minimum_cut(capacity, source, sink)
    return {listed for listed in nodes if (listed.relation == FOLLOWING) == (index[listed] not in reachable)}


def _source_side_of_minimum_cut(capacity: dict[tuple[int, int], int], source: int, sink: int) -> set[int]:
    """Edmonds-Karp on a graph of a few dozen nodes; returns the nodes still reachable from the source."""
    residual = dict(capacity)
    neighbours: dict[int, set[int]] = {}
    for start, end in capacity:
        neighbours.setdefault(start, set()).add(end)
        neighbours.setdefault(end, set()).add(start)
        residual.setdefault((end, start), 0)
    while True:
        parent = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            node = queue.popleft()
            for neighbour in sorted(neighbours.get(node, ())):
                if neighbour not in parent and residual[(node, neighbour)] > 0:
                    parent[neighbour] = node
                    queue.append(neighbour)
        if sink not in parent:
            return set(parent)
        path = []
        node = sink
        while node != source:
            path.append((parent[node], node))
            node = parent[node]
        flow = min(residual[arc] for arc in path)
        for start, end in path:
            residual[(start, end)] -= flow
            residual[(end, start)] += flow
