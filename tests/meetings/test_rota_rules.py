"""The rotation scenario's rules: the turns go round the rota in order, skip who left, give a
swapped turn back, and say when nobody is eligible; a rota and a swap refuse outsiders in French."""

from __future__ import annotations

import uuid

import pytest

from conseils_meetings.rota_rules import check_rota, check_swap, next_turn
from conseils_runtime.errors import DomainError

A, B, C, OUT = (uuid.UUID(int=i) for i in (1, 2, 3, 9))


def test_turns_go_round_in_order_and_skip_who_left() -> None:
    rota = (A, B, C)
    first = next_turn(rota, 0, {}, {A, B, C})
    assert first is not None
    assert (first.member_id, first.next_position) == (A, 1)
    after_c = next_turn(rota, 2, {}, {A, B, C})
    assert after_c is not None
    assert (after_c.member_id, after_c.next_position) == (C, 0)
    skipped = next_turn(rota, 1, {}, {A, C})  # B left the council
    assert skipped is not None
    assert (skipped.member_id, skipped.next_position) == (C, 0)


def test_a_swap_gives_the_next_turn_back() -> None:
    # B took A's turn by a swap: when B's natural turn comes, A goes instead, and the debt is paid.
    turn = next_turn((A, B, C), 1, {B: A}, {A, B, C})
    assert turn is not None
    assert (turn.member_id, turn.next_position, turn.settles_swap_of) == (A, 2, B)


def test_nobody_eligible_is_said() -> None:
    assert next_turn((), 0, {}, {A}) is None
    assert next_turn((A, B), 0, {}, {C}) is None  # everyone on the rota left


def test_a_rota_and_a_swap_refuse_outsiders() -> None:
    check_rota([A, B], {A, B, C})
    with pytest.raises(DomainError, match="membres actifs de ce conseil"):
        check_rota([A, OUT], {A, B})
    with pytest.raises(DomainError, match="qu'une fois"):
        check_rota([A, A], {A})
    assert check_swap((A, B), A, B, {A, B}) == A
    with pytest.raises(DomainError, match="membre du tour de rôle"):
        check_swap((A, B), A, C, {A, B, C})
    with pytest.raises(DomainError, match="rien à échanger"):
        check_swap((A, B), None, B, {A, B})
