"""The interactive dashboard: a Mesa SolaraViz app over the model, for moving a lever and
watching what happens.

`gpsim dashboard` serves sim.app.dashboard.page with `solara run`. The scenario, extra `--set`
overrides and seed reach it through environment variables (see sim/app/commands/dashboard.py).
Each lever is a flat keyword of DashboardModel that becomes a `key.path=value` override of the
scenario, applied exactly as `gpsim run --set` applies it, so a dashboard run with the same
scenario, settings and seed gives the same numbers as replication 0 of `gpsim run`. A lever left
at the scenario's value adds no override at all.

    levers    the levers a scenario offers and the overrides they become
    controls  the page's sliders and the settings `gpsim dashboard` passes
    model     DashboardModel: the model with levers, its command line and download
    charts    small matplotlib figures (the page must render without reaching any CDN)
    page      the solara components and the page
"""
import warnings

# Solara's hook check flags a line of Mesa's own SolaraViz (a harmless early return); not ours to
# fix. Set here, before any module of the dashboard imports mesa.visualization.
warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return", category=UserWarning)
# Solara warns on every page load that a session cookie served over plain http falls back to
# SameSite=Lax: expected for a page served to this computer, and a dozen lines each time.
warnings.filterwarnings("ignore", message=r"Cookies with samesite=none require https", category=UserWarning)
