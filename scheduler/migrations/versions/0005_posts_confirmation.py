"""posts.confirm_at and posts.presence: the read-back of a published post

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

`[daemon] confirm_after` after its publication the daemon reads each published post back from
its network. `confirm_at` is when that read is due (null: nothing to read, or already read);
`presence` is what it found: `confirmed`, `vanished` (removed, or never visible) or
`unconfirmed` (the network refused the read for good). Posts published before this migration
have no `confirm_at` and are not read back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirm_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("presence", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_posts_confirm_at", ["confirm_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_confirm_at")
        batch_op.drop_column("presence")
        batch_op.drop_column("confirm_at")
