"""Sign-in by emailed link: single-use random tokens, stored only as their
SHA-256 hash in the site's own small database (no personal data: the hash,
the account id, its role and council), valid ten minutes; the per-address
and per-IP rate limits of link requests; and when sessions end.

A session is a signed cookie naming its random session id, its account and
when it began; the same database keeps cut-offs, checked on every request
(`SigninStore.session_ended`): one session (signing out), every session of
an account begun before a moment (staff "end her sessions", her erasure or
departure), or every session begun before a moment ("end all sessions").
A cut-off is kept as long as a session it ends could live (12 hours)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, Float, MetaData, RowMapping, String, Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from conseils_runtime.auth import Principal, Role

LINK_TTL_SECONDS = 600
SESSION_TTL_SECONDS = 12 * 3600
EVERYONE = "*"
metadata = MetaData()

signin_links = Table(
    "signin_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("subject", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("council_id", String(36), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
)

# "session:<id>", "account:<subject>" or "all" -> sessions begun at or before `not_before` are over.
session_cutoffs = Table(
    "session_cutoffs",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("not_before", Float, nullable=False),
)


@dataclass(frozen=True)
class Account:
    """Who a link signs in: ids and role only."""

    subject: str
    role: Role
    council_id: uuid.UUID | None = None


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def address_key(secret: str, address: str) -> str:
    """A keyed hash of an email address: the rate limiter never keeps the address itself."""
    return hmac.new(secret.encode(), address.strip().lower().encode(), hashlib.sha256).hexdigest()


class RateLimiter:
    """At most `limit` events per key in a sliding window of `window_seconds`."""

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._events: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = self.clock()
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True


class SigninStore:
    def __init__(self, database_url: str, clock: Callable[[], float] = time.time) -> None:
        self.engine: AsyncEngine = create_async_engine(database_url)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.clock = clock
        self.sessions = SessionStore(self.engine, clock)

    @classmethod
    def in_directory(cls, data_dir: Path) -> SigninStore:
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite+aiosqlite:///{(data_dir / 'site.db').resolve()}")

    async def create_all(self) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def issue(self, account: Account) -> str:
        """A new link token for `account`; only its hash is kept. Expired links are purged."""
        token = new_link_token()
        now = self.clock()
        async with self.sessionmaker() as session, session.begin():
            await session.execute(delete(signin_links).where(signin_links.c.expires_at < now - 86400))
            await session.execute(
                signin_links.insert().values(
                    token_hash=hash_token(token),
                    subject=account.subject,
                    role=account.role,
                    council_id=str(account.council_id) if account.council_id else None,
                    created_at=now,
                    expires_at=now + LINK_TTL_SECONDS,
                )
            )
        return token

    async def peek(self, token: str) -> Account | None:
        """The account of a valid (unused, unexpired) link, without using it."""
        async with self.sessionmaker() as session:
            row = (
                (
                    await session.execute(
                        select(signin_links).where(
                            signin_links.c.token_hash == hash_token(token),
                            signin_links.c.used_at.is_(None),
                            signin_links.c.expires_at > self.clock(),
                        )
                    )
                )
                .mappings()
                .first()
            )
        return _account(row) if row else None

    async def consume(self, token: str) -> Account | None:
        """Use a link once: a second call (or a racing one) gets None."""
        now = self.clock()
        token_hash = hash_token(token)
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                update(signin_links)
                .where(
                    signin_links.c.token_hash == token_hash,
                    signin_links.c.used_at.is_(None),
                    signin_links.c.expires_at > now,
                )
                .values(used_at=now)
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            row = (
                (await session.execute(select(signin_links).where(signin_links.c.token_hash == token_hash)))
                .mappings()
                .one()
            )
        return _account(row)


def _account(row: RowMapping) -> Account:
    role: Role = row["role"]
    council = row["council_id"]
    return Account(subject=row["subject"], role=role, council_id=uuid.UUID(council) if council else None)


class SessionStore:
    """When sessions end (the cut-offs of `session_cutoffs`), in the sign-in links' database."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], float] = time.time) -> None:
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        self.clock = clock

    async def session_ended(self, principal: Principal) -> bool:
        """Whether the session of this cookie was ended since it began."""
        keys = ["all", f"account:{principal.subject}"]
        if principal.session_id:
            keys.append(f"session:{principal.session_id}")
        async with self.sessionmaker() as session:
            latest = (
                await session.execute(
                    select(func.max(session_cutoffs.c.not_before)).where(session_cutoffs.c.key.in_(keys))
                )
            ).scalar()
        return latest is not None and principal.issued_at <= latest

    async def end_session(self, session_id: str) -> None:
        await self._cut(f"session:{session_id}", self.clock())

    async def end_sessions(self, subject: str = EVERYONE, *, before: float | None = None) -> None:
        """End every session of one account (`subject`), or of everyone, begun before `before`
        (now by default). An earlier cut-off never replaces a later one."""
        await self._cut("all" if subject == EVERYONE else f"account:{subject}", before or self.clock())

    async def _cut(self, key: str, not_before: float) -> None:
        now = self.clock()
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                delete(session_cutoffs).where(session_cutoffs.c.not_before < now - SESSION_TTL_SECONDS)
            )
            current = (
                await session.execute(
                    select(session_cutoffs.c.not_before).where(session_cutoffs.c.key == key)
                )
            ).scalar()
            if current is None:
                await session.execute(session_cutoffs.insert().values(key=key, not_before=not_before))
            elif current < not_before:
                await session.execute(
                    update(session_cutoffs).where(session_cutoffs.c.key == key).values(not_before=not_before)
                )
