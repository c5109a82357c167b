"""link_checks: the last answer of each link the daemon asked before publishing

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

One new table and nothing else: one row per link (keyed by the sha256 of its URL), replaced by
each new check, holding when it was asked, the verdict (alive, dead, unsure) and what it
answered (docs/links.md). A check younger than `[links] fresh` is not asked again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_checks",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("problem", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_link_checks")),
    )


def downgrade() -> None:
    op.drop_table("link_checks")
