"""The Python interface a person uses: run a scenario and get results that can draw themselves.

    import sim
    results = sim.run("history_2013_2023", replications=3, overrides={"workforce.leaving_rate": 0.08})
    results.summary(); results.to_df(); results.plot(); results.save("outputs/my-run")

In a notebook, results show their headline table, and plot() returns figures that show as images;
plotting never changes matplotlib's backend (for headless use set MPLBACKEND=Agg, or save).
"""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from sim.report.charts import standard_charts
from sim.report.notebook import drawn, html_table
from sim.results import run as running
from sim.results.outcomes import format_value
from sim.scenario.overrides import combined


class Results(running.Results):
    """What a scenario run produced (see sim.results.run.Results), with its standard charts."""

    def plot(self, directory: str | Path | None = None) -> dict:
        """Draw the standard charts. With a directory, save them as PNG and SVG and return their
        paths; else return chart name -> Figure (shown as images in a notebook; pyplot keeps none
        of them open)."""
        return drawn(standard_charts, self, directory)

    def save(self, directory: str | Path | None = None, force: bool = False, charts: bool = True) -> Path:
        """Write the run folder atomically, with its charts unless `charts` is False; returns its path."""
        return super().save(directory, force=force, draw=_charts if charts else None)

    def _repr_html_(self) -> str:
        table = self.summary()
        first, last = self.timeseries["month"].min(), self.timeseries["month"].max()
        many = self.replications > 1

        def end(row) -> str:
            value = format_value(row["unit"], row["end_median"])
            interval = f" [{format_value(row['unit'], row['end_low'])} to {format_value(row['unit'], row['end_high'])}]"
            return value + (interval if many else "")

        rows = [{"outcome": row["label"], first: format_value(row["unit"], row["start_median"]), last: end(row)}
                for _, row in table.iterrows()]
        import pandas as pd
        spread = "90% interval" if self.replications >= 3 else "5th-95th percentile"
        notes = [f"{self.replications} replication(s), seed {self.seed}" + (f"; end: median [{spread}]" if many else "")]
        if many:
            notes.append(f"Intervals across replications include {self.interval_includes()}.")
        return html_table(self.scenario.title or self.scenario.name, notes, pd.DataFrame(rows))


def _charts(results: Results, folder: Path) -> dict:
    return drawn(standard_charts, results, folder)


def run(scenario, *, overrides=None, **options: Any) -> Results:
    """Run a scenario and return its Results.

    Args:
        scenario: a scenario file, a shipped scenario's name, a Scenario or a dict.
        overrides: fields to change, as a dict of dotted key paths ({"behaviour.peer_weight": 3.0})
            or 'key.path=value' texts as with --set.
        **options: replications, seed and progress as sim.results.run.run takes them, and
            fields to change as keywords with `__` for each dot (behaviour__peer_weight=3.0).
    """
    params = {key: options.pop(key) for key in list(options) if "__" in key}
    plain = running.run(scenario, overrides=combined(overrides, params), **options)
    return Results(**{field.name: getattr(plain, field.name) for field in fields(plain)})
