"""Her attendance is read through an index (every GET /me/registrations asks for it): without
`ix_attendance_member` SQLite scanned every attendance row, 58,000 in a national year (issue 17).
The migrations create the same index (`tests/deploy/test_migrations.py` compares them)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from conseils_meetings.tables import metadata
from conseils_runtime import Database


async def test_her_attendance_is_read_through_the_member_index(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await database.create_all(metadata)
        async with database.engine.connect() as connection:
            plan = (
                await connection.execute(
                    text("EXPLAIN QUERY PLAN SELECT * FROM attendance WHERE member_id = :m"), {"m": "x"}
                )
            ).all()
    finally:
        await database.dispose()
    details = " ".join(str(row[-1]) for row in plan)
    assert "ix_attendance_member" in details, details
