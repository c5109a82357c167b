"""posts.grace_from: lateness counts from the end of a hold by min_gap

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

A post the daemon holds to keep `min_gap` after another on its channel was on time when it was
held. Its lateness (against `grace`) used to count from its due time, so a post held behind
another held post was marked `missed` although the daemon never stopped. The hold now records
its end here, and lateness counts from it; `edit --at` and `retry` clear it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grace_from", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("grace_from")
