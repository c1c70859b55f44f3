"""Asking a model until its reply can be read: the one loop that judges and synthesis stages share.

Every pending item is asked in one round (so a backend answers them concurrently); a reply that
`read` cannot use is asked about again, in the next round, until the item's attempts are spent. How
an item is asked again is the caller's: a judge continues the conversation with a correction (the
earlier unread replies are in `Attempt.earlier`), a synthesis stage asks afresh as a distinct
cached call (`Attempt.number`). Each item ends read, failed (the call itself gave no reply) or
unread (every reply was unusable), with the number of attempts it took."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Value = TypeVar("Value")


@dataclass(frozen=True)
class Unread:
    """Why a reply could not be read."""

    reason: str


@dataclass(frozen=True)
class NoReply:
    """The call itself failed (after the backend's own retries)."""

    reason: str


@dataclass(frozen=True)
class Attempt(Generic[Item]):
    """One item asked for the `number`-th time (1 first); `earlier` holds the replies that could
    not be read before, with why, oldest first."""

    item: Item
    number: int
    earlier: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Outcome(Generic[Item, Value]):
    """How an item ended: `value` when read; otherwise `failure` (no reply) or `unread` (the last
    unusable reply and why)."""

    item: Item
    attempts: int
    value: Value | None = None
    failure: str | None = None
    unread: tuple[str, str] | None = None  # (the last reply, why it could not be read)

    @property
    def read(self) -> bool:
        return self.failure is None and self.unread is None


def ask_until_read(
    items: Sequence[Item],
    ask: Callable[[Sequence[Attempt[Item]]], Sequence[str | NoReply]],
    read: Callable[[str, Item], Value | Unread],
    attempts: int | Callable[[Item], int],
) -> list[Outcome[Item, Value]]:
    """An outcome for every item, in the order of `items`. `ask` answers one round of attempts, a
    reply (or NoReply) for each, in order; `read` turns a reply into a value or says why not."""
    limit = attempts if callable(attempts) else (lambda _: attempts)
    ended: dict[int, Outcome[Item, Value]] = {}
    pending = [(index, Attempt(item, 1)) for index, item in enumerate(items)]
    while pending:
        replies = ask([attempt for _, attempt in pending])
        following = []
        for (index, attempt), reply in zip(pending, replies, strict=True):
            if isinstance(reply, NoReply):
                ended[index] = Outcome(attempt.item, attempt.number, failure=reply.reason)
                continue
            value = read(reply, attempt.item)
            if not isinstance(value, Unread):
                ended[index] = Outcome(attempt.item, attempt.number, value=value)
            elif attempt.number >= limit(attempt.item):
                ended[index] = Outcome(attempt.item, attempt.number, unread=(reply, value.reason))
            else:
                earlier = (*attempt.earlier, (reply, value.reason))
                following.append((index, Attempt(attempt.item, attempt.number + 1, earlier)))
        pending = following
    return [ended[index] for index in range(len(items))]
