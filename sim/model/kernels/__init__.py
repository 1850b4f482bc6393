"""Numerical kernels: the loops of the mechanisms that numpy cannot express well, each written
once in plain Python and compiled with numba (see jit.py). They do the same floating-point
operations in the same order as numpy would, so the compiled and plain forms give identical
numbers (tests/test_kernels.py compares them).

    draws:    the counter-based random draws and binomial inversion (sim/model/streams.py)
    search:   the per-practice searches (sim/model/closure.py, sim/model/networks.py)
    networks: network sizes and what membership brings (sim/model/networks.py)
"""
from sim.model.kernels.draws import binomial_walk, uniform_of, unit_draw
from sim.model.kernels.jit import jit
from sim.model.kernels.networks import (
           BENEFIT_TERMS,
           add_benefits,
           benefit_terms,
           count_members,
)
from sim.model.kernels.search import (
           SEARCH_ALL,
           merger_partner,
           nearest_network,
           nearest_sites,
           willing_neighbours,
)

__all__ = ["BENEFIT_TERMS", "SEARCH_ALL", "add_benefits", "benefit_terms", "binomial_walk", "count_members", "jit",
           "merger_partner", "nearest_network", "nearest_sites", "uniform_of", "unit_draw", "willing_neighbours"]
