"""The interactive dashboard: a solara page over the model, for moving a lever and seeing at once
what it changes.

`gpsim dashboard` serves sim.app.dashboard.page with `solara run`. The scenario, extra `--set`
overrides and seed reach it through environment variables (see sim/app/commands/dashboard.py).
Each lever is a flat keyword of DashboardModel that becomes a `key.path=value` override of the
scenario, applied exactly as `gpsim run --set` applies it, so a dashboard run with the same
scenario, settings and seed gives the same numbers as `gpsim run`. A lever left at the
scenario's value adds no override at all.

    levers    the levers a scenario offers, their units, steps and meaning, and the overrides they become
    controls  the settings `gpsim dashboard` passes, the scenarios on offer, typed values checked
    model     DashboardModel: the model with levers, its command line and download
    session   a run of one or more replications, its median and 90% band, earlier runs to compare
    svg       charts as SVG text, drawn by the browser (no CDN, no chart library)
    charts    the dashboard's charts and map
    page      the solara components and the page
"""
import warnings

# Solara warns on every page load that a session cookie served over plain http falls back to
# SameSite=Lax: expected for a page served to this computer, and a dozen lines each time.
warnings.filterwarnings("ignore", message=r"Cookies with samesite=none require https", category=UserWarning)
