"""Use cases of staff accounts (territory, city and State agents; operators)."""

from __future__ import annotations

import uuid

from conseils_registry.commands import StaffAccountInput
from conseils_registry.domain import normalise_email
from conseils_registry.records import StaffAccountRecord
from conseils_registry.use_cases import RegistryCore
from conseils_runtime.http import Conflict, NotFound


class StaffAccounts(RegistryCore):
    async def staff_accounts(self, email: str | None = None) -> list[StaffAccountRecord]:
        async with self.units.reading() as repo:
            return await repo.staff_accounts(email)

    async def staff_account(self, email: str) -> StaffAccountRecord:
        async with self.units.reading() as repo:
            account = await repo.staff_by_email(email)
        if account is None:
            raise NotFound("Compte introuvable.")
        return account

    async def create_staff_account(self, command: StaffAccountInput) -> uuid.UUID:
        email = normalise_email(command.email)
        async with self.units.begin() as unit:
            if await unit.repo.staff_by_email(email) is not None:
                raise Conflict(f"Un compte existe déjà pour {email}.")
            account_id = uuid.uuid4()
            await unit.repo.add_staff_account(
                account_id,
                email=email,
                name=command.name,
                organisation=command.organisation,
                kind=command.kind,
                role=command.role,
            )
            return account_id
