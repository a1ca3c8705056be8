"""The staff's clients (web/conseils_web/clients/staff_registry.py, staff_meetings.py) against
the committed OpenAPI documents, with the same checks as the services' main clients."""

from __future__ import annotations

from typing import Any

import pytest

from conseils_web.clients import Endpoint, ServiceClient, endpoints
from conseils_web.clients.staff_meetings import MeetingsStaffClient
from conseils_web.clients.staff_registry import RegistryStaffClient
from tests.web import test_clients_contract as contract

CASES = [
    pytest.param(client, endpoint, id=f"{client.service} {endpoint.method} {endpoint.path}")
    for client in (RegistryStaffClient, MeetingsStaffClient)
    for endpoint in endpoints(client)
]


@pytest.mark.parametrize(("client", "endpoint"), CASES)
def test_each_staff_call_is_in_the_service_api(client: type[ServiceClient], endpoint: Endpoint[Any]) -> None:
    contract.test_each_call_of_the_site_is_in_the_service_api(client, endpoint)
    contract.test_each_field_the_site_reads_is_in_the_service_answer(client, endpoint)
