"""No index on documents' content fingerprints.

``documents.content_hash`` (a fingerprint of each text, to find exact duplicates) had an
index that no query uses. Its keys are random, so every import paid for inserting into
it at scattered places in a growing B-tree: on 200,000 documents about a tenth of the
import's SQLite time, and a good part of its page cache (BENCHMARKS.md). The column
stays; a query for duplicate texts can index it when one exists.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_documents_content_hash", table_name="documents")


def downgrade() -> None:
    op.create_index("ix_documents_content_hash", "documents", ["content_hash"])
