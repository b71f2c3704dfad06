"""Alembic environment: runs LabelLoop's migrations on the connection Project.open passes."""

from alembic import context

from core.store.schema import Base

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things in place; batch mode copies the table.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)

with context.begin_transaction():
    context.run_migrations()
