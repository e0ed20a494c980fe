"""Cases, notes, the audit log, navigator accounts and their sessions.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OPEN_ONLY = sa.text("status != 'closed'")


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("trial_id", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("contact_method", sa.String(16), nullable=True),
        sa.Column("contact_value", sa.String(320), nullable=True),
        sa.Column("preferred_language", sa.String(64), nullable=True),
        sa.Column("preferred_time", sa.String(128), nullable=True),
        _timestamp("consent_given_at", nullable=True),
        sa.Column("consent_version", sa.String(64), nullable=True),
        sa.Column("screening_outcome", sa.String(32), nullable=True),
        sa.Column("screening_facts", JSON, nullable=True),
        sa.Column("screening_result", JSON, nullable=True),
        sa.Column("unanswered_questions", JSON, nullable=False),
        sa.Column("transcript", JSON, nullable=False),
        sa.Column("assigned_to", sa.String(64), nullable=True),
        sa.Column("held_by", sa.String(64), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("status IN ('new', 'in_review', 'contacted', 'closed')", name=op.f("ck_cases_status")),
        sa.CheckConstraint("urgency IN ('normal', 'urgent')", name=op.f("ck_cases_urgency")),
        sa.CheckConstraint(
            "contact_method IS NULL OR contact_method IN ('phone', 'email', 'chat')",
            name=op.f("ck_cases_contact_method"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_cases_reference")),
    )
    op.create_index("ix_cases_queue", "cases", ["status", "urgency", "created_at"])
    op.create_index(op.f("ix_cases_trial_id"), "cases", ["trial_id"])
    op.create_index("uq_cases_open_per_sender", "cases", ["trial_id", "sender_id"], unique=True,
                    sqlite_where=OPEN_ONLY, postgresql_where=OPEN_ONLY)

    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_notes_case_id_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index(op.f("ix_notes_case_id"), "notes", ["case_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        _timestamp("at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("case_reference", sa.String(16), nullable=True),
        sa.Column("trial_id", sa.String(32), nullable=True),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_case_id"), "audit_log", ["case_id"])

    op.create_table(
        "navigators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("trials", JSON, nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_navigators")),
        sa.UniqueConstraint("username", name=op.f("uq_navigators_username")),
    )

    op.create_table(
        "navigator_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        _timestamp("created_at"),
        _timestamp("last_seen_at"),
        sa.ForeignKeyConstraint(["username"], ["navigators.username"],
                                name=op.f("fk_navigator_sessions_username_navigators"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_navigator_sessions")),
    )
    op.create_index(op.f("ix_navigator_sessions_username"), "navigator_sessions", ["username"])


def downgrade() -> None:
    op.drop_table("navigator_sessions")
    op.drop_table("navigators")
    op.drop_table("audit_log")
    op.drop_table("notes")
    op.drop_table("cases")
