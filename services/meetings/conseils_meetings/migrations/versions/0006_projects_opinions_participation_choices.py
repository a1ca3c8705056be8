"""projects, councils' opinions, participation choices

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:50:00

The councils' voice (issue 20): the projects submitted to an instance with the decision taken on
each (`projects`), each council's current opinion on each project (`council_opinions`), and each
council's participation choice per instance type (`participation_choices`). Filled by
`voice_projection` from the `meetings.voice` facts, live and on replay.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("promoter", sa.String(length=300), nullable=False),
        sa.Column("theme", sa.String(length=64), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("amount_requested", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("opinion_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("amount_granted", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_instance_id"), ["instance_id"], unique=False)
    op.create_table(
        "council_opinions",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("opinion_id", sa.Uuid(), nullable=False),
        sa.Column("stance", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("given_by", sa.Uuid(), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revisions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "council_id"),
    )
    with op.batch_alter_table("council_opinions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_opinions_instance_id"), ["instance_id"], unique=False)
    op.create_table(
        "participation_choices",
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("instance_type", sa.String(length=64), nullable=False),
        sa.Column("choice", sa.String(length=20), nullable=False),
        sa.Column("chosen_by", sa.Uuid(), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("council_id", "instance_type"),
    )


def downgrade() -> None:
    op.drop_table("participation_choices")
    with op.batch_alter_table("council_opinions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_opinions_instance_id"))
    op.drop_table("council_opinions")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_instance_id"))
    op.drop_table("projects")
