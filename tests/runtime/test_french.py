"""« de » before a place's name (conseils_runtime.french): elided before a vowel or a mute h,
contracted with « le » / « les »; and the French checker flags what the demo used to print."""

from __future__ import annotations

import pytest

from conseils_runtime.french import of_place
from tests.support.french_text import problems


@pytest.mark.parametrize(
    ("city", "expected"),
    [
        ("Aubervilliers", "d'Aubervilliers"),
        ("Épinay-sur-Seine", "d'Épinay-sur-Seine"),
        ("Île-de-France", "d'Île-de-France"),
        ("Hérouville-Saint-Clair", "d'Hérouville-Saint-Clair"),
        ("Houilles", "de Houilles"),  # an aspirated h
        ("Saint-Denis", "de Saint-Denis"),
        ("La Courneuve", "de La Courneuve"),
        ("L'Île-Saint-Denis", "de L'Île-Saint-Denis"),
        ("Le Bourget", "du Bourget"),
        ("Les Lilas", "des Lilas"),
        ("Yerres", "d'Yerres"),
    ],
)
def test_of_place(city: str, expected: str) -> None:
    assert of_place(city) == expected


def test_the_checker_flags_the_wording_a_new_user_saw() -> None:
    assert problems("3 instances à venirs")
    assert problems("CLIP de Aubervilliers, Hôtel de ville de Aubervilliers")
    assert problems("CLIP d'Aubervilliers, 3 instances à venir, de onze à midi, de Saint-Denis") == []
