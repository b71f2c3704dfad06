"""A project at a glance: documents, categories with label counts, coders and runs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from core.overview import project_overview
from core.store.project import Project


class OverviewPage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.counts = QLabel()
        self.categories = QTreeWidget()
        self.categories.setHeaderLabels(["Key", "Category", "Training labels", "Evaluation labels"])
        self.categories.setRootIsDecorated(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.counts)
        layout.addWidget(self.categories, 1)

    def show_project(self, project: Project) -> None:
        overview = project_overview(project)
        self.heading.setText(project.path.name)
        self.counts.setText(
            f"{overview['documents']:,} documents: {overview['labelled_documents']:,} labelled, "
            f"{overview['unlabelled_documents']:,} to go. Coders: "
            f"{', '.join(overview['coders']) or 'none yet'}."
        )
        self.categories.clear()
        for category in overview["categories"]:
            item = QTreeWidgetItem(
                [
                    category["shortcut"] or "",
                    category["name"] + (" (retired)" if category["retired"] else ""),
                    f"{category['labels']['train']:,}",
                    f"{category['labels']['eval']:,}",
                ]
            )
            self.categories.addTopLevelItem(item)
