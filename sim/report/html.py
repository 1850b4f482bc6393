"""The briefing as one HTML file: charts embedded as base64 PNG and styles inline, so it opens
in any browser with no server and no network."""
from __future__ import annotations

import base64
from html import escape

CSS = """
body { font-family: "Segoe UI", Helvetica, Arial, sans-serif; color: #1a1a1a; max-width: 62rem; margin: 2rem auto;
       padding: 0 1.2rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #0072B2; }
.subtitle { color: #444; } li { margin: 0.35rem 0; } li.lead { list-style: none; font-weight: bold; margin-left: -1rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.6rem 0 1.4rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.45rem; text-align: left; vertical-align: top; }
th { background: #eef4f9; } caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
figure { margin: 1.4rem 0; } figure img { width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #444; font-size: 0.85rem; }
.warning { border-left: 4px solid #D55E00; background: #fdf0e6; padding: 0.5rem 0.8rem; font-weight: bold; }
h3 { margin-bottom: 0.2rem; font-size: 1.05rem; }
@media print { body { max-width: none; } figure, table { page-break-inside: avoid; } }
"""


def _table(table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<table><caption>{escape(table.caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(caption: str, path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{escape(caption)} chart" src="data:image/png;base64,{data}">'
            f"<figcaption>Chart: {escape(caption)} (also as SVG: charts/{escape(path.stem)}.svg)</figcaption></figure>")


def render(briefing) -> str:
    """The briefing as a complete HTML document.

    Args:
        briefing: a sim.report.Briefing.
    """
    # A finding that opens a scenario's block ("By year ...") is shown as a lead line.
    findings = "".join(f'<li class="lead">{escape(f)}</li>' if f.startswith("By year ") else f"<li>{escape(f)}</li>"
                       for f in briefing.findings)
    warnings = "".join(f"<p class='warning'>{escape(w)}</p>" for w in briefing.warnings)
    policies = "".join(f"<h3>{escape(heading)}</h3><p>{escape(description)}</p>"
                       + (f"<p>Differs from the baseline in:</p><ul>{''.join(f'<li>{escape(c)}</li>' for c in changes)}</ul>"
                          if changes else "")
                       for heading, description, changes in briefing.policies)
    parts = [
        f"<h1>{escape(briefing.title)}</h1><p class='subtitle'>{escape(briefing.subtitle)}</p>{warnings}",
        f"<h2>{'Policies compared' if len(briefing.policies) > 1 else 'The scenario'}</h2>{policies}",
        f"<h2>Headline findings</h2><p>{escape(briefing.numbers)}</p><ul>{findings}</ul>",
        "<h2>Charts</h2>" + "".join(_image(caption, path) for caption, path in briefing.charts),
        "<h2>Results by year</h2>" + "".join(_table(t) for t in briefing.tables),
        "<h2>Scenario assumptions</h2>" + _table(briefing.assumptions),
        "<h2>What the model cannot say</h2><ul>" + "".join(f"<li>{escape(x)}</li>" for x in briefing.limits) + "</ul>",
        "<h2>Provenance</h2>" + _table(briefing.provenance),
    ]
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(briefing.title)}</title>'
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>\n")
