"""Builds the compiled random draws (sim/_draws.pyx); the rest of the package is set up in setup.cfg.

The extension is optional: where it cannot be built, the package uses the numpy code in
sim/streams.py, which gives the same draws more slowly.
"""
from Cython.Build import cythonize
from setuptools import Extension, setup

# -ffp-contract=off: no fused multiply-add, so the compiled arithmetic rounds exactly as numpy's.
draws = Extension("sim._draws", ["sim/_draws.pyx"], extra_compile_args=["-O2", "-ffp-contract=off"], optional=True)
setup(ext_modules=cythonize([draws], quiet=True))
