"""Plain functions of the site: French dates, the rate limiter, the next-page
check, and the schedule form's validation (no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from conseils_web.auth_pages import safe_next
from conseils_web.frenchdates import NBSP, datetime_fr, day_fr, plain, size_fr, span_fr
from conseils_web.signin import RateLimiter, address_key
from conseils_web.staff.forms import instance_body
from tests.web.helpers import build_site


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 12, 8, 17, 30, tzinfo=UTC), "mardi 8 décembre 2026 à 18 h 30"),
        (datetime(2026, 7, 1, 16, 0, tzinfo=UTC), "mercredi 1er juillet 2026 à 18 h"),
        (datetime(2027, 2, 13, 9, 5, tzinfo=UTC), "samedi 13 février 2027 à 10 h 05"),
        (datetime(2026, 8, 15, 22, 0, tzinfo=UTC), "dimanche 16 août 2026 à 0 h"),
    ],
)
def test_dates_read_as_french_people_write_them_in_the_territory_timezone(
    moment: datetime, expected: str
) -> None:
    assert plain(datetime_fr(moment, "Europe/Paris")) == expected


def test_a_day_or_an_hour_is_never_split_across_two_lines() -> None:
    """Non-breaking spaces inside « 8 décembre 2026 » and « 18 h 30 » (a 360-pixel phone)."""
    evening = datetime(2026, 12, 8, 17, 30, tzinfo=UTC)
    assert datetime_fr(evening, "Europe/Paris") == f"mardi 8{NBSP}décembre{NBSP}2026 à 18{NBSP}h{NBSP}30"
    assert span_fr(evening, evening.replace(hour=19, minute=0), "Europe/Paris").endswith(f"à 20{NBSP}h")


def test_day_names() -> None:
    assert plain(day_fr(date(2026, 11, 26))) == "jeudi 26 novembre 2026"


def test_spans_and_sizes() -> None:
    evening = datetime(2026, 12, 8, 17, 30, tzinfo=UTC)
    assert (
        plain(span_fr(evening, evening.replace(hour=19, minute=0), "Europe/Paris"))
        == "mardi 8 décembre 2026, de 18 h 30 à 20 h"
    )
    assert plain(span_fr(evening, evening.replace(day=9), "Europe/Paris")) == (
        "du mardi 8 décembre 2026 à 18 h 30 au mercredi 9 décembre 2026 à 18 h 30"
    )
    assert [size_fr(n) for n in (14, 2048, 3 * 1024 * 1024 + 1)] == ["14 octets", "2 Ko", "3,0 Mo"]


def test_rate_limiter_slides_its_window() -> None:
    now = [0.0]
    limiter = RateLimiter(3, 900, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")
    now[0] = 899.0
    assert not limiter.allow("a")
    now[0] = 900.5
    assert limiter.allow("a")


def test_address_key_ignores_case_and_spaces_and_hides_the_address() -> None:
    key = address_key("s", " Aicha.Diallo@demo.example ")
    assert key == address_key("s", "aicha.diallo@demo.example")
    assert "aicha" not in key
    assert key != address_key("autre", "aicha.diallo@demo.example")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/agenda", "/agenda"),
        ("/instances/1?x=2", "/instances/1?x=2"),
        ("//ailleurs.example", ""),
        ("https://ailleurs.example", ""),
        ("/\\ailleurs.example", ""),
        (None, ""),
    ],
)
def test_only_pages_of_this_site_are_accepted_after_sign_in(value: object, expected: str) -> None:
    assert safe_next(value) == expected


FORM = {
    "instance_type": "comite-technique",
    "title": "",
    "theme": "emploi",
    "city_code": "93066",
    "council_id": "",
    "day": "2026-12-22",
    "start": "18:30",
    "end": "20:30",
    "location": "Maison de quartier, Saint-Denis",
}


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({}, []),
        ({"instance_type": ""}, ["instance_type"]),
        ({"theme": ""}, ["theme"]),
        ({"instance_type": "clip", "city_code": ""}, ["city_code"]),
        ({"instance_type": "formation"}, ["council_id"]),
        ({"day": "22/12/2026"}, ["day", "end"]),
        ({"end": "18:00"}, ["end"]),
        ({"location": ""}, ["location"]),
    ],
)
def test_the_schedule_form_names_the_field_of_each_error(
    tmp_path: Path, change: dict[str, str], fields: list[str]
) -> None:
    ctx: Any = build_site(tmp_path).state.site
    body, errors = instance_body(ctx, {**FORM, **change})
    assert [field for field, _message in errors] == fields
    if not errors:
        assert body["starts_at"] == "2026-12-22T17:30:00+00:00"  # 18:30 in Paris, sent in UTC
        assert body["title"] == (
            "Comité technique thématique de Saint-Denis — Emploi, insertion et développement économique"
        )


def test_every_kind_of_delivery_has_french_words_for_the_staff_page() -> None:
    """A delivery still being sent has no subject yet: the staff instance page names its kind
    (found by the pages' French crawl: « cancelled » shown raw while the emails were going)."""
    from typing import get_args

    from conseils_notifications.domain import Kind
    from conseils_web.labels import DELIVERY_KIND_LABELS

    assert set(get_args(Kind)) <= set(DELIVERY_KIND_LABELS)
