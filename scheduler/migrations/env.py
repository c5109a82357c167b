"""Alembic environment: runs migrations on the connection postsched hands it."""

from __future__ import annotations

from alembic import context

from posts.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - postsched always passes its own connection
    raise RuntimeError("postsched migrations run through `postsched init`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
