"""ix_posts_status_confirm: the read-backs due, found at once however many posts are stored

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

The daemon looks for the published posts whose read-back is due at every tick
(posts/confirming.py): `confirm_at <= now AND status = 'published' AND channel IN (...)`.
SQLite, which keeps no statistics here, chose the index on (status, channel, claimed_at) for
its two equalities and read every published post of the channels: 34 ms a tick at 100,000
posts, 330 ms at 1,000,000 (docs/benchmarks.md). An index on (status, confirm_at) answers
it from the few posts with a read due, on SQLite and PostgreSQL alike; it replaces the one on
confirm_at alone.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_posts_status_confirm", "posts", ["status", "confirm_at"], unique=False)
    op.drop_index("ix_posts_confirm_at", table_name="posts")


def downgrade() -> None:
    op.create_index("ix_posts_confirm_at", "posts", ["confirm_at"], unique=False)
    op.drop_index("ix_posts_status_confirm", table_name="posts")
