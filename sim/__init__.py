"""gpsim: an agent-based simulation of English GP practices working at scale.

    import sim
    results = sim.run("scenarios/history_2013_2023.yaml", replications=3)
    results.summary(); results.to_df(); results.plot(); results.save("outputs/my-run")
    comparison = sim.compare(["scenarios/status_quo_2024.yaml", "scenarios/networks_100k_2024.yaml"])
    comparison.summary(); comparison.to_df(); comparison.plot(); comparison.save("outputs/my-comparison")
    sim.evaluate(seed=1, behaviour__peer_weight=3.0)   # one run -> every outcome of sim.outcomes()
    sim.uncertainties(); sim.ema_model()               # plausible ranges with sources; an EMA Workbench model
    atlas = sim.responses("scenarios/status_quo_2024.yaml", replications=3)   # each lever at a few levels
    atlas.table; atlas.disagreements(); atlas.plot(); atlas.save("outputs/my-atlas")

The names below are imported when first used, so that the command line answers bad input
without loading the model.
"""
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gpsim")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "unknown"

from sim.scenario.errors import InputError

_LAZY = {"GPModel": ".model.model", "Results": ".app.api", "run": ".app.api", "load": ".scenario.loading",
         "Scenario": ".scenario.schema", "compare": ".analysis.compare", "Comparison": ".analysis.compare",
         "evaluate": ".analysis.evaluate", "outcomes": ".analysis.evaluate",
         "uncertainties": ".analysis.uncertainties", "ema_model": ".analysis.uncertainties", "responses": ".analysis.responses",
         "Responses": ".analysis.responses", "load_sweep": ".analysis.sweep", "run_sweep": ".analysis.sweep"}

__all__ = ["Comparison", "GPModel", "InputError", "Responses", "Results", "Scenario", "__version__", "compare", "ema_model",
           "evaluate", "load", "load_sweep", "outcomes", "responses", "run", "run_sweep", "uncertainties"]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
