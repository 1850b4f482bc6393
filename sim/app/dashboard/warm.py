"""The first session's run, built while the server starts: importing the model (mesa, numba,
pandas, scipy) and building a full England take seconds, which overlap with the server starting
and the browser loading the page's front end. Imported first by serve.py, before solara."""
from __future__ import annotations

import threading

from sim.app.dashboard.controls import app_settings

_BUILT: dict = {}


def _build() -> None:
    try:
        from sim.app.dashboard.board import Dashboard

        board = Dashboard(app_settings())
        board.views("paid", detail=True)   # the map's background and the first drawing, ready
        _BUILT["board"] = board
    except Exception:  # noqa: BLE001  (the page then builds its own and shows what is wrong)
        _BUILT["board"] = None


_BUILDING = threading.Thread(target=_build, daemon=True)
_BUILDING.start()


def first_board():
    """The run built at startup, the first time it is asked for (None afterwards)."""
    _BUILDING.join()
    return _BUILT.pop("board", None)
