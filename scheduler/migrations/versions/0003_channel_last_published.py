"""channel_states.last_published_at, and an index for the posts in flight on a channel

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

The daemon keeps `min_gap` between two posts on a channel. It used to find the last post out
with max(coalesce(published_at, claimed_at)) over every published post of the channel, which
reads the channel's whole history at every claim. Now the channel's row keeps the last
publication time (set when a post is recorded published), and only the posts being sent right
now (status `publishing`, a handful) are read from `posts`, through the new index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_states", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_published_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_posts_status_channel_claimed", ["status", "channel", "claimed_at"], unique=False
        )
    # Backfill from the posts already published: a channel's row may be missing (a database
    # written before channel_states existed), so create it first.
    op.execute(
        "INSERT INTO channel_states (name, updated_at) "
        "SELECT channel, max(published_at) FROM posts "
        "WHERE status = 'published' AND published_at IS NOT NULL "
        "AND channel NOT IN (SELECT name FROM channel_states) "
        "GROUP BY channel"
    )
    op.execute(
        "UPDATE channel_states SET last_published_at = ("
        "SELECT max(posts.published_at) FROM posts "
        "WHERE posts.channel = channel_states.name AND posts.status = 'published')"
    )


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_status_channel_claimed")
    with op.batch_alter_table("channel_states", schema=None) as batch_op:
        batch_op.drop_column("last_published_at")
