"""Run heartbeats: a running training job writes the time every few seconds, so a run
whose process was killed is recognised as interrupted (see core/training/heartbeat.py).

Existing rows get their last known sign of life: the time they finished, else the time
they started. A run still 'running' from before this revision thus counts as interrupted
at once: an older LabelLoop wrote no heartbeat, and a project is only migrated when opened
by this version, so such a run was in all likelihood left behind by a killed process.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (nullable, no default): SQLite adds it in place, with no copy.
    op.add_column("model_runs", sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE model_runs SET heartbeat_at = coalesce(finished_at, started_at)")
