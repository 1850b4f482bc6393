"""Builds the compiled loops (sim/_draws.pyx, sim/_search.pyx, sim/_networks.pyx); the rest of the
package is set up in setup.cfg.

The extensions are optional: where they cannot be built, the package runs the Python and numpy
code they stand for (see sim/compiled.py), which gives the same results more slowly.
"""
from Cython.Build import cythonize
from setuptools import Extension, setup

# -ffp-contract=off: no fused multiply-add, so the compiled arithmetic rounds exactly as numpy's.
loops = cythonize([Extension(f"sim.model.{name}", [f"sim/model/{name}.pyx"], extra_compile_args=["-O2", "-ffp-contract=off"])
                   for name in ("_draws", "_search", "_networks")], quiet=True)
for loop in loops:
    loop.optional = True  # a failed build warns and goes on (cythonize does not keep this flag)
setup(ext_modules=loops)
