"""The model: English GP practices, their networks, and a month of their lives per step."""
from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from sim.model import (
    closure,
    continuity,
    demand,
    entry,
    money,
    networks,
    providers,
    roles,
    workforce,
)
from sim.model.agents import Network, Practice
from sim.model.checkpoint import SavedState, capture, read_state, write_state
from sim.model.in_force import InForce
from sim.model.national import NationalState
from sim.model.reporters import model_reporters
from sim.model.streams import Streams
from sim.population.build import build
from sim.population.geography import geography
from sim.scenario.errors import InputError
from sim.scenario.loading import scenario_with, timeline
from sim.scenario.schema import Organisation, Scenario, month_number, year_month
from sim.state import LED_BY, NO_NETWORK, NetworkState

SCENARIO_SEED = "the scenario's seed"  # GPModel's seed when none is given with a Scenario


def fresh_seed() -> int:
    """A root seed from the operating system's entropy, as Mesa draws one for seed=None."""
    return int(np.random.SeedSequence().entropy % 2**63)


class GPModel(mesa.Model):
    """English general practice under a scenario's policies, stepped monthly.

    `scenario` is the scenario as given, fixed for the run (its start, length, population and
    list of dated changes); `in_force` holds the parameters in force this month, which each
    dated change replaces from its month on. Mechanisms read only `in_force`.

    Args:
        scenario: a validated Scenario; or, as Mesa's batch_run passes them, a scenario file or a
            shipped scenario's name (default: the 2013-2023 history) with its fields as flat
            keywords in `parameters` (behaviour__peer_weight=3.0, population__scale=0.1).
        replication: replication number; with the root seed it fixes every random draw.
        seed: the root seed. Not given: the scenario's seed when a Scenario is given (the
            reproducible default of gpsim run and sim.run), else a fresh one; None: a fresh seed,
            as in Mesa. The seed used is kept in `root_seed`, so any run can be repeated.
        snapshots: whether to keep yearly practice-level snapshots (sweeps need only the
            national series).
        national: the national figures to record (timeseries columns; default all). Sweeps
            record only those their outcomes read.
        start: a saved state (sim.model.checkpoint) to start from instead of building the
            population: the state's own run continued, or a scenario starting in its month.
    """

    def __init__(self, scenario: Scenario | str | None = None, replication: int = 0, seed: int | None = SCENARIO_SEED,
                 snapshots: bool = True, national: list[str] | None = None, start: SavedState | None = None, **parameters):
        if seed is SCENARIO_SEED:
            seed = scenario.seed if isinstance(scenario, Scenario) and not parameters else None
        if not isinstance(scenario, Scenario) or parameters:
            scenario = scenario_with(scenario, parameters)
        root_seed = fresh_seed() if seed is None else int(seed)
        super().__init__(seed=root_seed * 10_007 + replication)
        self.scenario, self.replication, self.root_seed = scenario, replication, root_seed
        self.kinds = list(scenario.organisations)
        self.reporting_cache: dict = {}
        self.keep_snapshots, self.national_columns = snapshots, national
        self.provider_kinds = [name for name, organisation in scenario.organisations.items() if organisation.provider]
        self.datacollector = mesa.DataCollector(model_reporters=model_reporters(self.kinds, national, self.provider_kinds))
        self.snapshots: list[dict[str, np.ndarray]] = []  # yearly, as columns (see practice_table)
        if start is None:
            self._build(scenario, root_seed, replication)
        else:
            self._restore(scenario, start)
        self.last_month = month_number(scenario.end) - self.start_month  # the clock's value after the last month
        self.geography = geography(self.practices)
        self.streams = Streams(root_seed, replication, self.practices.size)
        self.practice_agents = [Practice(self, slot) for slot in range(self.practices.size)]
        self._practice_has_agent = np.ones(self.practices.size, dtype=bool)
        self.network_agents: dict[int, Network] = {}
        if start is None:
            networks.form_initial(self.practices, self.networks, self.geography, self.in_force, self.streams)
            roles.in_post_at_start(self.practices, self.networks, self.in_force)
        self._match_agents_to_state()

    def _build(self, scenario: Scenario, root_seed: int, replication: int) -> None:
        """A fresh start: the population the scenario describes, the clock at its first month."""
        self.start_month, self.month = month_number(scenario.start), 0
        self.timeline = timeline(scenario)
        self.in_force = InForce(scenario, tuple(self.kinds), self.start_month, self.month)
        self.national = NationalState()
        self.practices = build(scenario, np.random.default_rng([root_seed, replication, 0x50505]))
        self.networks = NetworkState()

    def _restore(self, scenario: Scenario, start: SavedState) -> None:
        """Start from a saved state: continue its own run (the same scenario, its records kept)
        or branch into a scenario whose first month is the state's month (its parameters in
        force from then; the clock and the draws go on from the state's)."""
        if self.kinds[:len(start.kinds)] != start.kinds:
            raise InputError(scenario.name, "organisations", f"expected the organisation kinds of the saved state "
                             f"({', '.join(start.kinds)}) in the same order, then any new ones; found {', '.join(self.kinds) or 'none'}")
        if len(self.kinds) > len(start.kinds):  # kinds new in this scenario start with no members
            added = np.full((len(self.kinds) - len(start.kinds), start.practices.size), NO_NETWORK, dtype=np.int32)
            start.practices.membership = np.vstack([start.practices.membership, added])
            start.practices.n_kinds = len(self.kinds)
        self.start_month, self.month = start.origin, start.month
        continuing = scenario.model_dump(mode="json") == start.scenario
        if continuing:
            self.timeline = timeline(scenario)
            self.in_force = InForce(start.in_force_scenario(scenario.name), tuple(self.kinds), self.start_month, self.month)
            self.datacollector.model_vars.update({name: list(values) for name, values in start.timeseries.items()})
            self.snapshots = list(start.snapshots)
        elif scenario.start == start.at:
            shift = month_number(scenario.start) - self.start_month
            self.timeline = [(offset + shift, changed) for offset, changed in timeline(scenario)]
            self.in_force = InForce(scenario, tuple(self.kinds), self.start_month, self.month)
        else:
            raise InputError(scenario.name, "start", f"expected the month of the saved state ({start.at}) or its own run; found {scenario.start}")
        self.practices, self.networks, self.national = start.practices, start.networks, start.national

    @property
    def tree(self) -> cKDTree:
        """Spatial index of the practice sites (the geography's), for views such as a map."""
        return self.geography.tree

    def organisation(self, kind: int) -> Organisation:
        """One organisation kind in force this month."""
        return self.in_force.organisation(kind)

    # -- the monthly process ----------------------------------------------------------------
    def step(self) -> None:
        """One month, in the order of the process overview (docs/ODD.md, section 3). Network
        sizes (and so payments) use the lists counted at the end of the previous month."""
        self._apply_policy_changes()
        self.in_force.set_month(self.month)
        practices, network_state, places, national = self.practices, self.networks, self.geography, self.national
        in_force, streams, month = self.in_force, self.streams, self.month
        national.begin_month(month)
        money.apply_uplifts(national, in_force, month)
        self.reporting_cache = {}

        demand.grow_lists(practices, national, in_force, streams, month)
        benefits = networks.membership_benefits(practices, network_state, in_force, month)
        providers.add_site_costs(practices, network_state, in_force, benefits, month)
        workforce.gp_flows(practices, national, in_force, benefits, streams, month)
        workforce.other_staff(practices, national, in_force)
        roles.hire_and_lose(practices, network_state, in_force, streams, month)
        money.monthly_accounts(practices, network_state, national, in_force, benefits, month)
        providers.pay_budgets(practices, network_state, national, in_force, month)
        networks.join_leave_and_form(practices, network_state, places, in_force, streams, month)
        networks.merge_unpaid_networks(practices, network_state, places, in_force, streams, month)
        providers.procure(practices, network_state, places, in_force, streams, month)
        closure.close_and_merge(practices, places, national, in_force, benefits, streams, month)
        entry.open_practices(practices, places, national, in_force, streams, month)
        networks.update_sizes(practices, network_state, month)
        continuity.update(practices, in_force, benefits, month)

        self._match_agents_to_state()
        self.datacollector.collect(self)
        if self.keep_snapshots and (month % 12 == 11 or month == self.last_month - 1):
            self.snapshots.append(self._snapshot_columns())
        self.month += 1
        self.running = self.month < self.last_month  # Mesa's batch_run stops at the scenario's end

    def _apply_policy_changes(self) -> None:
        for offset, scenario in self.timeline:
            if offset == self.month:
                self.in_force = InForce(scenario, tuple(self.kinds), self.start_month)

    def _match_agents_to_state(self) -> None:
        """Mesa agents follow the state: one per open practice and per active network."""
        ended = np.flatnonzero(~self.practices.open & self._practice_has_agent)
        for practice in ended.tolist():
            self.practice_agents[practice].remove()
        self._practice_has_agent[ended] = False
        opened = np.flatnonzero(self.practices.open & ~self._practice_has_agent)  # new practices at vacant sites
        for practice in opened.tolist():
            self.practice_agents[practice] = Practice(self, practice)
        self._practice_has_agent[opened] = True
        active = self.networks.view("active")
        for slot in [slot for slot in self.network_agents if not active[slot]]:
            self.network_agents.pop(slot).remove()
        for slot in np.flatnonzero(active).tolist():
            if slot not in self.network_agents:
                self.network_agents[slot] = Network(self, slot)

    @property
    def months_run(self) -> int:
        """Months of this scenario simulated so far (a run branched from a saved state counts
        from the state's month)."""
        return self.month - (self.last_month - self.scenario.months)

    def run(self, progress=None) -> "GPModel":
        """Run every month of the scenario; `progress` is called once per month if given."""
        return self.run_until(self.last_month, progress)

    def run_until(self, month: int, progress=None) -> "GPModel":
        """Step until the clock reads `month` (months since the run's first month)."""
        for _ in range(month - self.month):
            self.step()
            if progress is not None:
                progress()
        return self

    def save_state(self, path) -> "GPModel":
        """Write the whole state now (between months) to a file that `restore` reads."""
        write_state(capture(self), path)
        return self

    @classmethod
    def restore(cls, path, scenario: Scenario | None = None) -> "GPModel":
        """A model from a saved state file: its own run continued (no scenario given, or the same
        one), or a scenario that starts in the state's month branched from it."""
        start = read_state(path)
        scenario = start.scenario_run(str(path)) if scenario is None else scenario
        return cls(scenario, replication=start.replication, seed=start.root_seed, snapshots=start.keep_snapshots,
                   national=start.columns, start=start)

    # -- results ----------------------------------------------------------------------------
    def timeseries(self) -> pd.DataFrame:
        """National figures, one row per month."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "replication", self.replication)
        return frame

    def network_table(self) -> pd.DataFrame:
        """Active networks now: kind, month formed, members, patients, whether paid."""
        state = self.networks
        active = np.flatnonzero(state.view("active"))
        paid = np.zeros(state.count, dtype=bool)
        for kind in range(len(self.kinds)):
            paid |= networks.paid_networks(state, self.in_force, kind, self.month)
        table = pd.DataFrame({
            "replication": self.replication,
            "network_id": active,
            "type": [self.kinds[k] for k in state.kind[active]],
            "formed": [year_month(self.start_month + int(f)) for f in state.formed[active]],
            "practices": state.members[active],
            "patients": state.patients[active].round(1),
            "kind": [self.organisation(int(k)).kind for k in state.kind[active]],
            "paid": paid[active],
            "area": state.area[active],
        })
        if self.provider_kinds:  # who leads each integrated provider
            provider = np.array([self.organisation(int(k)).provider is not None for k in state.kind[active]])
            table["lead"] = np.where(provider, np.array(LED_BY)[state.led_by[active]], "")
            sites = np.zeros(state.count, dtype=np.int64)
            for name in self.provider_kinds:
                slot = self.practices.membership[self.kinds.index(name)]
                held = (slot >= 0) & self.practices.open & self.practices.integrated
                sites += np.bincount(slot[held], minlength=state.count)
            table["integrated_sites"] = sites[active]
        return table

    def snapshot(self) -> pd.DataFrame:
        """Practice-level figures this month, one row per practice slot."""
        return pd.DataFrame(self._snapshot_columns())

    def practice_table(self) -> pd.DataFrame:
        """The yearly practice-level snapshots (end of each simulated year and the last month),
        one row per practice slot and snapshot."""
        taken = self.snapshots or [{name: values[:0] for name, values in self._snapshot_columns().items()}]
        # The joined columns are new arrays, so the table may keep them rather than copy them.
        return pd.DataFrame({name: np.concatenate([columns[name] for columns in taken]) for name in taken[0]}, copy=False)

    def _snapshot_columns(self) -> dict[str, np.ndarray]:
        # Arrays, not a DataFrame: the yearly snapshots become one table at the end.
        state = self.practices
        columns = {
            "replication": np.full(state.size, self.replication),
            "month": np.full(state.size, year_month(self.start_month + self.month), dtype=object),
            "practice_id": np.arange(state.size),
            "open": state.open.copy(),
            "area": state.area.copy(),
            "region": state.region.copy(),
            "rural": state.rural.copy(),
            "deprivation": state.deprivation.round(4),
            "isolation_km": state.isolation_km.round(3),
            "list_size": state.list_size.round(1),
            "need_adjusted_list": demand.need_adjusted_list(state).round(1),
            "initial_list_size": state.initial_list_size.round(1),
            "gp_partners": state.partners.copy(),
            "gp_salaried": state.salaried.copy(),
            "gp_fte": state.gp_fte(self.in_force.partner_fte_per_head, self.in_force.salaried_fte_per_head).round(3),
            "locum_fte": state.locum_fte.round(3),
            "additional_roles_fte": state.roles_fte.round(3),
            "gp_turnover_12m": state.turnover_12m(self.month + 1).round(4),
            "gp_practice_turnover_12m": state.turnover_12m(self.month + 1, moves=True).round(4),
            "workload": state.workload.round(4),
            "reserves_gbp": state.reserves.round(0),
            "continuity": state.continuity.round(4),
            "continuity_survey": continuity.survey_share(state.continuity, self.in_force).round(4),
            "ended": np.where(state.status == 1, "merged", np.where(state.status == 2, "closed", "")),
        }
        for kind, name in enumerate(self.kinds):
            columns[f"network_{name}"] = state.membership[kind].copy()
        if self.provider_kinds:
            columns["integrated"] = state.integrated.copy()
            columns["taken_over"] = np.array([year_month(self.start_month + int(m)) if m >= 0 else "" for m in state.taken_over_month],
                                             dtype=object)
        return columns
