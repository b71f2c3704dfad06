"""A category's colour as the annotate view paints it: a light tint behind text, the full
colour as a stripe, so highlights, legend swatches and buttons match."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPainter, QPixmap

#: How much of the category's colour the tint keeps (the rest is white): at 40%, black text
#: on the darkest palette colour's tint (black → #999999) still reads at a contrast of 7:1.
TINT_SHARE = 0.4


def highlight_colour(colour: str) -> QColor:
    """The opaque tint of ``colour`` behind highlighted words (and on a chosen button)."""
    full = QColor(colour)
    keep = TINT_SHARE

    def mix(channel: int) -> int:
        return round(channel * keep + 255 * (1 - keep))

    return QColor(mix(full.red()), mix(full.green()), mix(full.blue()))


def swatch(colour: str, width: int, height: int, stripe: int = 3) -> QPixmap:
    """A legend swatch: the tint, over a stripe of the full colour along the bottom."""
    pixmap = QPixmap(width, height)
    pixmap.fill(highlight_colour(colour))
    painter = QPainter(pixmap)
    painter.fillRect(0, height - stripe, width, stripe, QColor(colour))
    painter.end()
    return pixmap
