"""Points, boxes and the sizes the layout works with, in pixels."""

from __future__ import annotations

from dataclasses import dataclass

from amlops.graph.labels import LINE_CHARS

Point = tuple[float, float]


@dataclass(frozen=True)
class Metrics:
    """Sizes in pixels: text, padding inside nodes and clusters, gaps between neighbours and layers."""

    font_size: float = 12.0
    line_height: float = 15.0
    node_pad_x: float = 10.0
    node_pad_y: float = 7.0
    cluster_pad: float = 12.0
    title_gap: float = 8.0
    gap: float = 18.0
    rank_gap: float = 34.0
    dummy: float = 8.0
    label_pad: float = 6.0
    wrap: int = LINE_CHARS


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Box) -> bool:
        """True if the two boxes share more than an edge."""
        return (
            self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom
        )

    def contains(self, other: Box) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def moved(self, dx: float, dy: float) -> Box:
        return Box(self.x + dx, self.y + dy, self.width, self.height)
