"""The one decorator every kernel wears: compiled by numba where it is installed, plain Python
otherwise (the same function, much slower)."""
from __future__ import annotations

try:
    import numba
except ImportError:  # numba is a dependency, but the package still imports without it
    numba = None


def jit(function):
    """Compile a kernel with numba, or return it unchanged where numba is missing.

    The compiled code is cached on disk (next to the source, or in NUMBA_CACHE_DIR), so later
    processes, sweep workers among them, load it rather than compile it again. Division follows
    numpy's rules (inf or nan, never an exception), as in the numpy code the kernels replaced;
    no fast-math, so every operation rounds as numpy's does. The plain function stays reachable
    as `kernel.py_func`.

    Args:
        function: the kernel, in plain Python over numpy arrays and numbers.
    """
    if numba is None:
        return function
    return numba.njit(cache=True, error_model="numpy")(function)
