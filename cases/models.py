"""The case database's tables (SQLAlchemy 2.0 declarative models).

Only what the navigators' work needs is kept: a case holds the contact details the patient agreed to
give, the pre-screening answers and results, the questions the assistant could not answer and the
transcript. The schema itself is created and changed only by the Alembic migrations in
``cases/migrations``; a test checks that these models and the migrated schema agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, MetaData, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

OPEN_STATUSES = ("new", "in_review", "contacted")

# Constraint names are fixed so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Case(Base):
    """One handoff: a conversation a patient asked a person to follow up."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    trial_id: Mapped[str] = mapped_column(String(32), index=True)
    sender_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="new")
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    contact_method: Mapped[str | None] = mapped_column(String(16))
    contact_value: Mapped[str | None] = mapped_column(String(320))
    preferred_language: Mapped[str | None] = mapped_column(String(64))
    preferred_time: Mapped[str | None] = mapped_column(String(128))
    consent_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_version: Mapped[str | None] = mapped_column(String(64))
    screening_outcome: Mapped[str | None] = mapped_column(String(32))
    screening_facts: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    screening_result: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    unanswered_questions: Mapped[list[str]] = mapped_column(JsonType, default=list)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    held_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    notes: Mapped[list[Note]] = relationship(
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True, order_by="Note.id"
    )

    __table_args__ = (
        # At most one open case per conversation and trial: a second handoff updates the open case.
        Index(
            "uq_cases_open_per_sender",
            "trial_id",
            "sender_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("ix_cases_queue", "status", "urgency", "created_at"),
        CheckConstraint("status IN ('new', 'in_review', 'contacted', 'closed')", name="status"),
        CheckConstraint("urgency IN ('normal', 'urgent')", name="urgency"),
        CheckConstraint("contact_method IS NULL OR contact_method IN ('phone', 'email', 'chat')",
                        name="contact_method"),
    )


class Note(Base):
    """A navigator's note on a case."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="notes")


class AuditEntry(Base):
    """Who did what, to which case, when. Never holds patient data: ``detail`` is a short fact such as
    ``status: new -> in_review``. It outlives erased cases (hence no foreign key)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    case_reference: Mapped[str | None] = mapped_column(String(16))
    trial_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500), default="")


class Navigator(Base):
    """A console account. ``trials`` lists the trial ids whose cases this navigator may see."""

    __tablename__ = "navigators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    trials: Mapped[list[str]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NavigatorSession(Base):
    """A signed-in console session. The cookie holds the token; only its SHA-256 is stored, so a copy of the
    database does not let anyone sign in. Deleted at sign-out; ends after the idle timeout."""

    __tablename__ = "navigator_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(
        ForeignKey("navigators.username", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
