"""--single turn-taking bookkeeping."""

from server.turns import Turns


class Conn:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def conns(n: int) -> list[Conn]:
    return [Conn(chr(ord("a") + i)) for i in range(n)]


def test_first_is_served_the_rest_wait_in_order():
    a, b, c = conns(3)
    turns: Turns[Conn] = Turns()
    assert turns.arrive(a) is True
    assert turns.arrive(b) is False
    assert turns.arrive(c) is False
    assert [turns.position(x) for x in (a, b, c)] == [0, 1, 2]
    assert turns.leave(a) is b
    assert turns.position(c) == 1
    assert turns.leave(b) is c
    assert turns.leave(c) is None
    assert turns.current is None


def test_a_waiting_connection_that_leaves_is_just_removed():
    a, b, c, d = conns(4)
    turns: Turns[Conn] = Turns()
    for x in (a, b, c):
        turns.arrive(x)
    assert turns.leave(b) is None
    assert list(turns.queue) == [c]
    assert turns.leave(d) is None


def test_passing_the_turn_moves_to_the_back():
    a, b = conns(2)
    turns: Turns[Conn] = Turns()
    turns.arrive(a)
    assert turns.pass_turn(a) is None  # nobody waits: keep it
    turns.arrive(b)
    assert turns.pass_turn(b) is None  # not b's turn
    assert turns.pass_turn(a) is b
    assert list(turns.queue) == [a] and turns.waiting
