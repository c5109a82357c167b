"""reach_snapshots: what each published post reached, read at `[daemon] reach_after`

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

One new table and nothing else: one row per post per snapshot ("1h", "1d", "7d"), never
updated, holding the network's counts as JSON under the network's own names, or the reason the
read gave none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reach_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("network", sa.String(length=20), nullable=False),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_reach_snapshots_post_id_posts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reach_snapshots")),
        sa.UniqueConstraint("post_id", "snapshot", name="uq_reach_snapshots_post_id_snapshot"),
    )


def downgrade() -> None:
    op.drop_table("reach_snapshots")
