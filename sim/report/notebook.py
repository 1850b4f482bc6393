"""What a person sees of results in a notebook: figures that show themselves as images, detached
from pyplot so repeated plot() calls leave nothing open, and headline tables as HTML."""
from __future__ import annotations

import base64
import html
import io


class Figures(dict):
    """Chart name -> matplotlib Figure. In a notebook it displays as the images, one under
    another; each figure is also a plain Figure (fig.savefig(...), display(fig))."""

    def _repr_html_(self) -> str:
        parts = []
        for name, fig in self.items():
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=100)
            data = base64.b64encode(buffer.getvalue()).decode("ascii")
            parts.append(f'<figure style="margin:0 0 1em 0"><img alt="{html.escape(name)}" '
                         f'src="data:image/png;base64,{data}"/><figcaption>{html.escape(name)}</figcaption></figure>')
        return "".join(parts)


def load_backend() -> None:
    """Load pyplot's backend (the caller's, unchanged) before charts draw inside rc_context: a
    backend first loaded there (Jupyter's inline one) would have the interactive mode it turns on
    undone on leaving, and the caller's own plots would stop showing."""
    import matplotlib.pyplot as plt

    plt._get_backend_mod()


def drawn(draw, results, directory=None) -> Figures | dict:
    """Charts drawn by `draw(results, directory)` for a person: saved chart paths as they are, or
    the figures as Figures, taken out of pyplot's list of open figures (so they are not shown
    twice, and matplotlib's warning about many open figures never comes)."""
    import matplotlib.pyplot as plt

    load_backend()
    figures = draw(results, directory)
    if directory is None:
        for fig in figures.values():
            plt.close(fig)
        return Figures(figures)
    return figures


def html_table(title: str, lines: list[str], frame) -> str:
    """A notebook's view of results: a bold title, a few plain lines, and a table (a DataFrame)."""
    notes = "".join(f"<p style='margin:0'>{html.escape(line)}</p>" for line in lines)
    return f"<div><p style='margin:0'><b>{html.escape(title)}</b></p>{notes}{frame.to_html(index=False, na_rep='')}</div>"
