"""gpsim: an agent-based simulation of English GP practices working at scale.

    import sim
    results = sim.run("scenarios/history_2013_2023.yaml", replications=3)
    results.summary(); results.to_df(); results.plot(); results.save("outputs/my-run")
"""
from .errors import InputError
from .model import GPModel
from .results import Results, run
from .scenario import load
from .schema import Scenario

__all__ = ["GPModel", "InputError", "Results", "Scenario", "load", "run"]
