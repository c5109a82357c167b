"""Alembic migrations of postsched's database; `postsched init` applies them."""
