"""The briefing as an A4 PDF, laid out with fpdf2 (pure Python, no system libraries): text and
tables flow over portrait pages, wide charts get landscape pages of their own."""
from __future__ import annotations

from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace
from PIL import Image

# DejaVu ships with matplotlib, so the PDF has every character the text uses (£, ›, –) with no
# system fonts.
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
BLUE = (0, 114, 178)


class _Pack(FPDF):
    """A4 pages with the briefing's title and page number at the foot."""

    def __init__(self, title: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.briefing_title = title
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(True, margin=16)
        self.set_margins(15, 15, 15)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(90, 90, 90)
        title, page = self.briefing_title, f"  ·  page {self.page_no()}"
        while self.get_string_width(title + page) > self.epw and len(title) > 10:  # a long title is shortened
            title = title[:-8].rstrip() + "…"
        self.cell(0, 5, title + page, align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float = 14) -> None:
        if self.will_page_break(30):
            self.add_page()
        self.ln(3)
        self.set_font("DejaVu", "B", size)
        self.set_text_color(*BLUE)
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(1.5)

    def paragraph(self, text: str, size: float = 10, bold: bool = False, bullet: bool = False) -> None:
        self.set_font("DejaVu", "B" if bold else "", size)
        if bullet:
            self.set_x(self.l_margin + 3)
            self.cell(4, size * 0.5, "•")
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1.2)

    def _height(self, table, widths: list[float], size: float) -> float:
        """About how tall a table will be (mm): each row as tall as its most wrapped cell."""
        total = size * 0.5 * 3  # the caption
        for row in [table.header, *table.rows]:
            lines = max(-(-self.get_string_width(text) // max(w * self.epw - 2.5, 1.0)) or 1
                        for text, w in zip(row, widths))
            total += lines * size * 0.48 + 1.6
        return total

    def grid(self, table, size: float = 7.5, heading: str | None = None) -> None:
        # Label columns get fixed shares (a year needs little room); results share what is left.
        if table.labels == 2:
            labels = [0.26, 0.06] if table.header[1] == "Year" else [0.2, 0.18]
        else:
            labels = [0.3]
        rest = len(table.header) - len(labels)
        widths = labels + [(1 - sum(labels)) / rest] * rest
        self.set_font("DejaVu", "", size)
        height = self._height(table, widths, size)
        # Keep a heading and caption with the start of their table, and a table that fits on a page
        # on one page (so no row is left alone on the next).
        height += 12 if heading else 0
        if self.will_page_break(35) or (height < self.eph - 10 and self.will_page_break(height)):
            self.add_page()
        if heading:
            self.heading(heading)
        self.paragraph(table.caption, size=9, bold=True)
        self.set_font("DejaVu", "", size)
        with self.table(width=self.epw, col_widths=widths, line_height=size * 0.48, text_align="LEFT", repeat_headings=1,
                        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 239, 246)), padding=0.8) as grid:
            for row in [table.header, *table.rows]:
                cells = grid.row()
                for text in row:
                    cells.cell(text)
        self.ln(3)

    def chart(self, caption: str, path: Path, fresh: bool = False) -> None:
        with Image.open(path) as image:
            ratio, inches = image.height / image.width, image.width / 150  # charts are saved at 150 dpi
        # Wide multi-panel charts are only legible across a landscape page.
        if inches > 12:
            self.add_page(orientation="L")
            width = min(self.epw, (self.eph - 8) / ratio)
        else:
            if fresh or self.cur_orientation == "L" or self.will_page_break(self.epw * ratio + 8):
                self.add_page(orientation="P")
            width = self.epw
        self.image(str(path), x=self.l_margin + (self.epw - width) / 2, w=width)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(90, 90, 90)
        self.multi_cell(0, 4, f"Chart: {caption} (PNG and SVG in charts/)", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(3)


def render(briefing, path: Path) -> None:
    """Write the briefing as an A4 PDF.

    Args:
        briefing: a sim.report.Briefing.
        path: the file to write.
    """
    pdf = _Pack(briefing.title)
    pdf.set_title(briefing.title)
    pdf.set_creator("gpsim")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(0, 8, briefing.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.paragraph(briefing.subtitle, size=10)
    for warning in briefing.warnings:
        pdf.set_text_color(170, 60, 0)
        pdf.paragraph(warning, size=10, bold=True)
        pdf.set_text_color(0, 0, 0)
    pdf.heading("Policies compared" if len(briefing.policies) > 1 else "The scenario")
    for heading, description, changes in briefing.policies:
        pdf.paragraph(heading, size=10, bold=True)
        if description:
            pdf.paragraph(description, size=9)
        if changes:
            pdf.paragraph("Differs from the baseline in:", size=9)
        for change in changes:
            pdf.paragraph(change, size=9, bullet=True)
    pdf.heading("Headline findings")
    pdf.paragraph(briefing.numbers, size=9)
    for finding in briefing.findings:
        lead = finding.startswith("By year ")
        pdf.paragraph(finding, size=10 if lead else 9, bold=lead, bullet=not lead)
    # Each chart carries its own title; they start on a fresh page.
    for number, (caption, chart) in enumerate(briefing.charts):
        pdf.chart(caption, chart, fresh=number == 0)
    pdf.add_page(orientation="P")
    pdf.heading("Results by year")
    for table in briefing.tables:
        pdf.grid(table)
    pdf.grid(briefing.assumptions, heading="Scenario assumptions")
    pdf.heading("What the model cannot say")
    for limit in briefing.limits:
        pdf.paragraph(limit, size=9, bullet=True)
    pdf.grid(briefing.provenance, heading="Provenance")
    pdf.output(str(path))
