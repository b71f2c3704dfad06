"""No index on predictions' (run, uncertainty).

The index let the "most uncertain first" and "check predictions" queues read their
order straight from SQLite, but a run's predictions arrive in document order, so every
batch of 10,000 inserted its keys all over the index and rewrote most of its pages into
the write-ahead log at each commit: writing 1,000,000 predictions took 14.8 s with it and
4.7 s without (BENCHMARKS.md). The queues now rank a run's stored uncertainties once per
run and coder, in one pass over its rows (core/labelling/queues.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_predictions_run_uncertainty", table_name="predictions")


def downgrade() -> None:
    op.create_index("ix_predictions_run_uncertainty", "predictions", ["run_id", "uncertainty"])
