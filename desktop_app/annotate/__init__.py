"""The annotate view: one document at a time, one key press per label."""

from desktop_app.annotate.annotate_view import AnnotateView

__all__ = ["AnnotateView"]
