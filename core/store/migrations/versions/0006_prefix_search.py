"""Prefix indexes for full-text search: a search for ``d*`` or ``de*`` reads one list of
documents instead of merging the lists of every word that starts so. At 1,000,000
documents ``d*`` took 0.7–0.8 s and ``de*`` 0.24 s, most of it merging; with one- and
two-letter indexes both take about 0.15 s (BENCHMARKS.md). Three letters and more match
few enough words to be fast without one. The price: the project file grows by about 150
MB per 1,000,000 documents, and building the full-text index takes longer.

FTS5 fixes its options when the table is created, so the index is made anew with
``prefix='1 2'`` and rebuilt from the documents (about 40 s per 1,000,000 documents; the
project is backed up before). The triggers of migration 0002 keep it in step as before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: The full-text index as this revision makes it: migration 0002's, with prefix indexes.
CREATE_FTS = (
    "CREATE VIRTUAL TABLE documents_fts USING fts5("
    "text, content='documents', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='1 2')"
)


def upgrade() -> None:
    op.execute("DROP TABLE documents_fts")
    op.execute(CREATE_FTS)
    op.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")


def downgrade() -> None:
    op.execute("DROP TABLE documents_fts")
    op.execute(CREATE_FTS.replace(", prefix='1 2'", ""))
    op.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")
