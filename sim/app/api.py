"""The Python interface a person uses: run a scenario and get results that can draw themselves.

    import sim
    results = sim.run("scenarios/history_2013_2023.yaml", replications=3)
    results.summary(); results.to_df(); results.plot(); results.save("outputs/my-run")
"""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from sim.report.charts import standard_charts
from sim.results import run as running


class Results(running.Results):
    """What a scenario run produced (see sim.results.run.Results), with its standard charts."""

    def plot(self, directory: str | Path | None = None) -> dict:
        """Draw the standard charts; save them as PNG and SVG when a directory is given."""
        return standard_charts(self, directory)

    def save(self, directory: str | Path | None = None, force: bool = False, charts: bool = True) -> Path:
        """Write the run folder atomically, with its charts unless `charts` is False; returns its path."""
        return super().save(directory, force=force, draw=standard_charts if charts else None)


def run(scenario, **options) -> Results:
    """Run a scenario and return its Results; takes the arguments of sim.results.run.run."""
    plain = running.run(scenario, **options)
    return Results(**{field.name: getattr(plain, field.name) for field in fields(plain)})
