"""Asking until a reply can be read: the one loop judges and synthesis stages share."""

from __future__ import annotations

from collections.abc import Sequence

from harness.ask_until_read import Attempt, NoReply, Unread, ask_until_read


def scripted(replies: dict[str, list[str | NoReply]], rounds: list[list[Attempt[str]]]):
    """An `ask` that answers each item from its script, one reply per attempt, recording rounds."""

    def ask(attempts: Sequence[Attempt[str]]) -> list[str | NoReply]:
        rounds.append(list(attempts))
        return [replies[attempt.item][attempt.number - 1] for attempt in attempts]

    return ask


def number(reply: str, item: str) -> int | Unread:
    return int(reply) if reply.isdigit() else Unread(f"{reply!r} is no number")


def test_each_item_ends_read_failed_or_unread_in_the_order_given() -> None:
    rounds: list[list[Attempt[str]]] = []
    replies: dict[str, list[str | NoReply]] = {
        "late": ["x", "7"],
        "first": ["3"],
        "down": [NoReply("HTTP 500")],
        "never": ["a", "b", "c"],
    }
    outcomes = ask_until_read(list(replies), scripted(replies, rounds), number, attempts=3)

    assert [(o.item, o.attempts, o.value) for o in outcomes] == [
        ("late", 2, 7),
        ("first", 1, 3),
        ("down", 1, None),
        ("never", 3, None),
    ]
    assert outcomes[2].failure == "HTTP 500" and not outcomes[2].read
    assert outcomes[3].unread == ("c", "'c' is no number") and not outcomes[3].read
    assert [[a.item for a in round_] for round_ in rounds] == [
        ["late", "first", "down", "never"],
        ["late", "never"],
        ["never"],
    ]


def test_an_item_asked_again_carries_its_earlier_unread_replies_and_why() -> None:
    rounds: list[list[Attempt[str]]] = []
    replies: dict[str, list[str | NoReply]] = {"q": ["x", "y", "5"]}
    ask_until_read(["q"], scripted(replies, rounds), number, attempts=3)

    third = rounds[2][0]
    assert third.number == 3
    assert third.earlier == (("x", "'x' is no number"), ("y", "'y' is no number"))


def test_attempts_may_differ_per_item() -> None:
    rounds: list[list[Attempt[str]]] = []
    replies: dict[str, list[str | NoReply]] = {"once": ["x"], "twice": ["x", "y"]}
    outcomes = ask_until_read(
        ["once", "twice"], scripted(replies, rounds), number, attempts=lambda item: len(replies[item])
    )
    assert [o.attempts for o in outcomes] == [1, 2] and all(o.unread for o in outcomes)
