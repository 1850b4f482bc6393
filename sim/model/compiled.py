"""The compiled loops, or None where they are not built (no C compiler where the package was
installed); the Python and numpy code they stand for then runs instead, giving the same results.

    draws:  sim/_draws.pyx, the random draws and binomial inversion of sim/model/streams.py
    search: sim/_search.pyx, the per-practice searches of sim/model/closure.py and sim/model/networks.py
    networks: sim/_networks.pyx, the benefits of membership and network sizes of sim/model/networks.py
"""
try:
    from . import _draws as draws
except ImportError:
    draws = None
try:
    from . import _search as search
except ImportError:
    search = None
try:
    from . import _networks as networks
except ImportError:
    networks = None
