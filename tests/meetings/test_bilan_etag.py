"""Issue 17 (pages at national size): every answer of `GET /bilan` carries an entity tag (RFC 9110
§8.8.3) of its bytes, and a client that holds the same bytes (`If-None-Match`) gets 304 without a
body; any new fact gives new bytes and a new tag. The site keeps the bilan's rendered figures by
that tag (tests/web/test_bilan_figures_kept.py)."""

from __future__ import annotations

import pytest

from .conftest import STAFF, Harness
from .test_bilan_cache import FACTS, URL, held_instance

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
async def test_an_unchanged_bilan_is_answered_304_with_its_tag(harness: Harness, fmt: str) -> None:
    await held_instance(harness, ["franc-moisin-0", "franc-moisin-1"])
    url = f"{URL}&format={fmt}"
    first = await harness.client.get(url, headers=STAFF)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag.startswith('"')
    assert tag.endswith('"')
    assert len(tag) > 10
    assert first.headers["cache-control"] == "private, no-cache"
    again = await harness.client.get(url, headers={**STAFF, "If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    for listed in (f'"autre", {tag}', f"W/{tag}", "*"):
        assert (await harness.client.get(url, headers={**STAFF, "If-None-Match": listed})).status_code == 304
    other = await harness.client.get(url, headers={**STAFF, "If-None-Match": '"autre"'})
    assert other.status_code == 200
    assert other.content == first.content


async def test_a_new_fact_gives_a_new_tag_and_the_new_bytes(harness: Harness) -> None:
    await held_instance(harness, ["franc-moisin-0", "franc-moisin-1"])
    first = await harness.client.get(URL, headers=STAFF)
    await FACTS["attendance-recorded"](harness)
    after = await harness.client.get(URL, headers={**STAFF, "If-None-Match": first.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != first.headers["etag"]
    assert after.content != first.content


async def test_the_tag_needs_the_staff_token(harness: Harness) -> None:
    response = await harness.client.get(URL, headers={"If-None-Match": "*"})
    assert response.status_code == 401
