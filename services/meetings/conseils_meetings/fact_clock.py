"""A counter of the transactions that recorded a fact in this database: the bilan's fingerprint
on PostgreSQL (`bilan_cache.data_fingerprint`).

A transaction that emits a fact (`UnitOfWork.emit`, through the service's `on_emit`) or applies
a consumed one (the read model's handlers) is marked (`mark_fact`); just before it commits, a
marked transaction adds one to the single row of `fact_clock`, as its last statement. The row's
lock makes those transactions add one after the other, each reading the value the previous one
committed, so a value *n* read in a snapshot means exactly the first *n* of them are visible:
two equal values see the same facts. Unlike the transaction snapshot (`txid_current_snapshot()`,
the fingerprint before), it does not move when another database of the same server is written
to (the registry's and notifications' databases usually share the meetings one's server).

Last, so that the lock is held only while committing, and never before another lock: a
transaction holding the counter waits for nothing, hence no deadlock with the row locks of
the use cases. On SQLite (one writer at a time) the fingerprint is read from rowids and the
counter is not written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

_MARK = "conseils_meetings.fact_clock"

_BUMP = text(
    "INSERT INTO fact_clock (id, commits) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET commits = fact_clock.commits + 1"
)
READ = text("SELECT commits FROM fact_clock WHERE id = 1")


def fact_clock_table(metadata: MetaData) -> Table:
    return Table(
        "fact_clock",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("commits", BigInteger, nullable=False),
    )


def mark_fact(session: AsyncSession | Session) -> None:
    """This transaction records a fact: the counter moves when it commits."""
    target = session.sync_session if isinstance(session, AsyncSession) else session
    target.info[_MARK] = True


@event.listens_for(Session, "before_commit")
def _count_the_fact(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.pop(_MARK, False):
        return  # a savepoint's release keeps the mark for the transaction's commit
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_BUMP)


@event.listens_for(Session, "after_rollback")
def _forget_the_mark(session: Session, *_: Any) -> None:
    session.info.pop(_MARK, None)
