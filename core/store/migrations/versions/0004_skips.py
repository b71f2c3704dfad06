"""Skipped documents: a coder's training queues leave out what they passed over.

Also replaces the index on annotations (category_id) by one on (category_id,
document_id): the per-category label counts shown after every label then read the
index alone (0.95 → 0.26 ms at 4,000 labels, growing with the number of labels).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skips",
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id"), primary_key=True),
        sa.Column("coder", sa.Text(), primary_key=True),
        sa.Column("skipped_at", sa.DateTime(), nullable=False),
    )
    op.create_index(
        "ix_annotations_category_document", "annotations", ["category_id", "document_id"]
    )
    op.drop_index("ix_annotations_category", table_name="annotations")
