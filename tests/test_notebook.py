"""The notebook example of the README and docs/research.md runs in a Jupyter kernel: results show
a headline table, plot() shows its figures as images, the caller's matplotlib backend is left
alone (later plots still show), and nothing piles up in pyplot."""
from __future__ import annotations

import base64
import re

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT

MARK = "<!-- notebook example:"
_IMAGE = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def example(path) -> str:
    """The Python block after the notebook-example mark."""
    text = path.read_text(encoding="utf-8")
    after = text[text.index(MARK):]
    return after.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_and_research_docs_show_the_same_example():
    assert example(ROOT / "README.md") == example(ROOT / "docs" / "research.md")


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    cells = [nbformat.v4.new_code_cell(block.strip()) for block in example(ROOT / "README.md").split("\n\n")]
    cells.append(nbformat.v4.new_code_cell("import matplotlib, matplotlib.pyplot as plt\n"
                                           "print(matplotlib.get_backend(), len(plt.get_fignums()))"))
    book = nbformat.v4.new_notebook(cells=cells)
    folder = tmp_path_factory.mktemp("notebook")
    mp = pytest.MonkeyPatch()
    mp.delenv("MPLBACKEND", raising=False)  # the kernel's own default: inline figures
    try:
        NotebookClient(book, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        mp.undo()
    return book


def _outputs(cell, kind):
    return [output["data"][kind] for output in cell.outputs if kind in output.get("data", {})]


def test_results_show_a_headline_table(notebook):
    table = _outputs(notebook.cells[0], "text/html")
    assert len(table) == 1 and "<table" in table[0] and "Practices open" in table[0]
    assert "2 replication(s)" in table[0]


def test_plot_shows_each_chart_as_an_image(notebook):
    pages = _outputs(notebook.cells[1], "text/html")
    assert len(pages) == 1
    images = [base64.b64decode(data) for data in _IMAGE.findall(pages[0])]
    assert len(images) == 5 and all(image.startswith(b"\x89PNG\r\n") and len(image) > 20_000 for image in images)
    assert not _outputs(notebook.cells[1], "image/png")  # shown once, not again by pyplot


def test_the_callers_backend_and_later_plots_are_untouched(notebook):
    assert len(_outputs(notebook.cells[2], "image/png")) == 1  # a pandas plot after plot() still shows
    printed = "".join(output.get("text", "") for output in notebook.cells[3].outputs)
    assert printed.split() == ["module://matplotlib_inline.backend_inline", "0"]
