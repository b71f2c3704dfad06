"""Importing documents: CSV/TSV, Excel, JSON Lines, Parquet and folders of .txt files.

``preview_file`` shows what a file looks like as parsed (for the import wizard);
``import_file`` streams it into a project in one all-or-nothing transaction;
``new_project`` makes a project that appears only once its first import has succeeded.
"""

from core.ingest.importer import ImportOptions, ImportSummary, import_file, new_project
from core.ingest.readers import Preview, open_reader, preview_file

__all__ = [
    "ImportOptions",
    "ImportSummary",
    "Preview",
    "import_file",
    "new_project",
    "open_reader",
    "preview_file",
]
