"""Full-text search: an FTS5 index over document texts, kept in step by triggers.

The index is "external content" (it stores no second copy of the texts). Triggers keep it
in step with every insert, update and delete of a document, whoever makes it. Projects
created before this revision get their existing documents indexed here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # remove_diacritics 2: "cafe" finds "café", "een" finds "één" (Dutch spelling).
    op.execute(
        "CREATE VIRTUAL TABLE documents_fts USING fts5("
        "text, content='documents', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN "
        "INSERT INTO documents_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        "CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN "
        "INSERT INTO documents_fts(documents_fts, rowid, text) "
        "VALUES ('delete', old.id, old.text); END"
    )
    op.execute(
        "CREATE TRIGGER documents_fts_update AFTER UPDATE OF text ON documents BEGIN "
        "INSERT INTO documents_fts(documents_fts, rowid, text) "
        "VALUES ('delete', old.id, old.text); "
        "INSERT INTO documents_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")
