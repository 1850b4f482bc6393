"""What the dashboard has drawn, read from its HTML (the page's DOM or the functions that make it):
the data lines and bars of each chart and the practices on the map. One reading for the browser
test and for the check that a blank chart fails it."""
from __future__ import annotations

from html.parser import HTMLParser


class _Drawn(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts: dict[str, int] = {}   # chart name: data marks (points of lines, bars)
        self.practices = 0
        self._chart: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "figure" and "gpsim-chart" in classes:
            self._chart = attributes.get("data-chart")
            self.charts[self._chart] = 0
        elif self._chart is not None and "data" in classes:
            if tag == "polyline":
                points = (attributes.get("points") or "").split()
                self.charts[self._chart] += len(points) if len(points) >= 2 else 0
            elif tag == "rect" and float(attributes.get("height") or 0) > 0:
                self.charts[self._chart] += 1
        elif tag == "circle" and "practice" in classes and float(attributes.get("r") or 0) > 0:
            self.practices += 1

    def handle_endtag(self, tag):
        if tag == "figure":
            self._chart = None


def drawn(page_html: str) -> tuple[dict[str, int], int]:
    """(data marks per chart, practices on the map) in a piece of the page's HTML."""
    parser = _Drawn()
    parser.feed(page_html)
    return parser.charts, parser.practices


def blank_charts(page_html: str) -> list[str]:
    """Charts with nothing plotted: a time chart with no line of two points or more, or the
    sizes chart with no bar."""
    charts, _ = drawn(page_html)
    return [name for name, marks in charts.items() if marks < (1 if name == "sizes" else 2)]
