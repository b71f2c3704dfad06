"""The Documents tab: a filterable table over every document of a project."""

from desktop_app.browser.browser_view import DocumentsBrowser
from desktop_app.browser.documents_model import Column, DocumentsModel

__all__ = ["Column", "DocumentsBrowser", "DocumentsModel"]
