"""The model: English GP practices, their networks, and a month of their lives per step."""
from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from sim.model import closure, continuity, demand, money, networks, workforce
from sim.model.agents import Network, Practice
from sim.model.reporters import model_reporters
from sim.model.streams import Streams
from sim.population.build import build
from sim.population.places import nearest_others
from sim.scenario.loading import timeline
from sim.scenario.schema import Organisation, Scenario, month_number, year_month
from sim.state import NetworkState

EVENT_NAMES = ("mergers", "closures", "displaced", "lost_usual_gp")
LEDGER = ("practice_income", "practice_costs", "network_income", "partner_surplus", "written_off")
NEAREST_PRACTICES = 24  # neighbours searched for a merger partner or to take in patients


class GPModel(mesa.Model):
    """English general practice under a scenario's policies, stepped monthly.

    Args:
        scenario: a validated Scenario.
        replication: replication number; with the scenario's seed it fixes every random draw.
        seed: overrides the scenario's root seed when given.
        snapshots: whether to keep yearly practice-level snapshots (sweeps need only the
            national series).
        national: the national figures to record (timeseries columns; default all). Sweeps
            record only those their outcomes read.
    """

    def __init__(self, scenario: Scenario, replication: int = 0, seed: int | None = None, snapshots: bool = True,
                 national: list[str] | None = None):
        root_seed = scenario.seed if seed is None else int(seed)
        super().__init__(seed=root_seed * 10_007 + replication)
        self.scenario, self.replication, self.root_seed = scenario, replication, root_seed
        self.timeline = timeline(scenario)
        self.params = scenario
        self.kinds = list(scenario.organisations)
        self.start_month = month_number(scenario.start)
        self.month = 0
        self.consultation_index = 1.0
        self.funding_index = 1.0
        self.cost_index = 1.0
        self.incentive_spend_month = 0.0
        self.ledger = dict.fromkeys(LEDGER, 0.0)
        self.reporting_cache: dict = {}
        self._fixed: dict[tuple, np.ndarray] = {}
        self.events = {name: np.zeros(12) for name in EVENT_NAMES}

        population_rng = np.random.default_rng([root_seed, replication, 0x50505])
        self.practices = build(scenario, population_rng)
        self.streams = Streams(root_seed, replication, self.practices.size)
        self.tree = cKDTree(np.column_stack([self.practices.x_km, self.practices.y_km]))
        self.nearest_km, self.nearest = self._neighbour_index()
        order = np.argsort(self.practices.area, kind="stable")
        areas = int(self.practices.area.max()) + 1 if self.practices.size else 0
        bounds = np.searchsorted(self.practices.area[order], np.arange(areas + 1))
        self.area_practices = [order[bounds[a]:bounds[a + 1]] for a in range(areas)]
        self.watching = networks.watching(self.practices.neighbours)
        self.watched_by = self.watching.T.tocsr()
        self.watched_members: dict[int, tuple] = {}
        self.area_distances = networks.AreaDistances(self.practices.x_km, self.practices.y_km, self.area_practices)
        self.networks = NetworkState()
        self.practice_agents = [Practice(self, slot) for slot in range(self.practices.size)]
        self.network_agents: dict[int, Network] = {}
        networks.form_initial(self)
        workforce.roles_in_post_at_start(self)
        self.snapshots: list[dict[str, np.ndarray]] = []  # yearly, as columns (see practice_table)
        self.keep_snapshots = snapshots
        self.datacollector = mesa.DataCollector(model_reporters=model_reporters(self.kinds, national))

    def _neighbour_index(self) -> tuple[np.ndarray, np.ndarray]:
        """Each practice's nearest other practices (sites do not move), for mergers and dispersal."""
        n = self.practices.size
        k = min(NEAREST_PRACTICES, n - 1)
        if k < 1:
            return np.zeros((n, 0)), np.zeros((n, 0), dtype=np.int64)
        return nearest_others(self.tree, np.column_stack([self.practices.x_km, self.practices.y_km]), k)

    # -- what mechanisms ask of the model ---------------------------------------------------
    def fixed(self, key: tuple, compute) -> np.ndarray:
        """An array that depends only on the practices' fixed attributes (site, rurality,
        deprivation, attitudes) and the parameter values in `key`, computed once."""
        value = self._fixed.get(key)
        if value is None:
            value = self._fixed[key] = compute()
        return value

    def organisations(self) -> list[Organisation]:
        """The organisation kinds in force this month, in kind order."""
        return [self.params.organisations[name] for name in self.kinds]

    def organisation(self, kind: int) -> Organisation:
        """One organisation kind in force this month."""
        return self.params.organisations[self.kinds[kind]]

    def month_of(self, when: str) -> int:
        """Month offset from the start of a YYYY-MM date."""
        return month_number(when) - self.start_month

    def roles_active(self) -> bool:
        """Whether the additional roles scheme has started."""
        start = self.params.additional_roles.start
        return bool(start) and self.month >= self.month_of(start)

    def reimbursement_rate(self) -> float:
        """Share of additional-role costs reimbursed this month."""
        return self.params.additional_roles.reimbursement_rate if self.roles_active() else 0.0

    def add_network(self, kind: int, lead: int, target_patients: float, waiver_draw: float) -> int:
        """Found a network led by a practice; returns its slot."""
        state = self.practices
        slot = self.networks.add(kind=kind, formed=self.month, lead=lead, area=state.area[lead],
                                 target_patients=target_patients, waiver_draw=waiver_draw,
                                 x_km=state.x_km[lead], y_km=state.y_km[lead])
        self.network_agents[slot] = Network(self, slot)
        return slot

    def end_network(self, slot: int) -> None:
        """Remove the agent of a network that has no members left."""
        agent = self.network_agents.pop(slot, None)
        if agent is not None:
            agent.remove()

    def record_ending(self, practice: int, status: int) -> None:
        """Count a merger or closure this month and retire the practice's agent."""
        self.events["mergers" if status == 1 else "closures"][self.month % 12] += 1
        self.practice_agents[practice].remove()

    def record_displaced(self, displaced: float, lost_usual_gp: float) -> None:
        """Count patients moved by a closure this month."""
        self.events["displaced"][self.month % 12] += displaced
        self.events["lost_usual_gp"][self.month % 12] += lost_usual_gp

    # -- the monthly process ----------------------------------------------------------------
    def step(self) -> None:
        """One month: policy in force, demand, membership effects, staff, money, joining,
        closure, continuity, then national figures. Network sizes (and so payments) use the
        lists counted at the end of the previous month."""
        self._apply_policy_changes()
        self.ledger = dict.fromkeys(LEDGER, 0.0)
        self.reporting_cache = {}
        for counts in self.events.values():
            counts[self.month % 12] = 0.0
        demand.grow_lists(self)
        benefits = networks.membership_benefits(self)
        workforce.gp_flows(self, benefits)
        workforce.other_staff(self)
        workforce.additional_roles(self)
        money.monthly_accounts(self, benefits)
        networks.join_leave_and_form(self)
        networks.merge_unpaid_networks(self)
        closure.close_and_merge(self, benefits)
        networks.update_sizes(self)
        continuity.update(self, benefits)
        self.datacollector.collect(self)
        if self.keep_snapshots and (self.month % 12 == 11 or self.month == self.scenario.months - 1):
            self.snapshots.append(self._snapshot_columns())
        self.month += 1

    def _apply_policy_changes(self) -> None:
        for offset, params in self.timeline:
            if offset == self.month:
                self.params = params

    def run(self, progress=None) -> "GPModel":
        """Run every month of the scenario; `progress` is called once per month if given."""
        for _ in range(self.scenario.months - self.month):
            self.step()
            if progress is not None:
                progress()
        return self

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
            paid |= networks.paid(self, kind)
        return pd.DataFrame({
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
        work = self.params.workforce
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
            "initial_list_size": state.initial_list_size.round(1),
            "gp_partners": state.partners.copy(),
            "gp_salaried": state.salaried.copy(),
            "gp_fte": state.gp_fte(work.partner_fte_per_head, work.salaried_fte_per_head).round(3),
            "locum_fte": state.locum_fte.round(3),
            "additional_roles_fte": state.roles_fte.round(3),
            "gp_turnover_12m": state.turnover_12m(self.month + 1).round(4),
            "workload": state.workload.round(4),
            "reserves_gbp": state.reserves.round(0),
            "continuity": state.continuity.round(4),
            "ended": np.where(state.status == 1, "merged", np.where(state.status == 2, "closed", "")),
        }
        for kind, name in enumerate(self.kinds):
            columns[f"network_{name}"] = state.membership[kind].copy()
        return columns
