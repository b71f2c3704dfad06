"""The import wizard: preview a file, say what its columns mean, import it as a job."""

from desktop_app.import_wizard.dialog import ImportDialog, Stage

__all__ = ["ImportDialog", "Stage"]
