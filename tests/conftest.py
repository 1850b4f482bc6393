"""Small populations so the whole suite runs in a few minutes."""
from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path

# numba caches compiled kernels next to their source unless told otherwise: the tests (and the runs
# they start in other processes) keep theirs in a temporary folder, set before sim imports numba.
os.environ["NUMBA_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / f"gpsim-tests-numba-{os.getuid()}")

import pytest  # noqa: E402
import yaml  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

from sim.scenario.loading import merge, validate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


SCRATCH = pytest.StashKey[Path]()

# Tests that take more than a few seconds (2.5 s or more on 2 shared cores, `--durations=40`),
# marked slow so that `python -m pytest -m "not slow"` is a quick loop. By module: a test's name
# (all its parametrisations), or a module-scoped fixture whose setup is the slow part (every test
# using it). A new slow test belongs here.
SLOW = {
    "test_bad_inputs.py": {"outcomes", "test_other_commands_that_read_scenarios_fail_the_same_way"},
    "test_cli.py": {"run_folder", "test_main_scenario_runs_from_the_command_line", "test_python_api_same_verbs",
                    "test_default_folder_is_new_under_outputs", "test_existing_results_are_not_overwritten_without_force"},
    "test_compare.py": {"test_compare_command_writes_the_folder_contract", "test_bad_input_exits_2_with_one_line",
                        "test_every_chart_has_a_title_and_labelled_axes"},
    "test_crash_safety.py": {"test_killed_while_simulating_leaves_nothing",
                             "test_killed_while_writing_leaves_no_complete_looking_folder",
                             "test_interrupted_or_terminated_run_exits_cleanly_and_writes_nothing"},
    "test_dashboard_browser.py": {"test_dashboard_in_a_browser"},
    "test_fuzz_loader.py": {"test_any_text", "test_structured_but_wrong_top_level", "test_one_wrong_value_in_a_valid_scenario"},
    "test_invariants.py": {"test_invariants_hold_every_month"},
    "test_nhs_data.py": {"test_data_check_reports_what_the_files_give", "test_data_check_exit_codes"},
    "test_packaging.py": {"test_wheel_runs_a_shipped_scenario_by_name_like_the_checkout"},
    "test_regression.py": {"test_run_reproduces_its_baseline"},
    "test_research_tools.py": {"test_overrides_are_a_dict_or_keywords_everywhere_and_whole_numbers_are_rounded",
                               "test_an_ema_workbench_model_runs_16_experiments",
                               "test_national_figures_at_one_tenth_scale_stay_near_full_size",
                               "test_mesa_batch_run_passes_flat_parameters_and_iterations_differ"},
    "test_reliability.py": {"test_force_never_touches_a_users_folder", "test_force_replaces_a_gpsim_folder_but_not_one_holding_other_files",
                            "test_second_writer_is_refused_before_simulating_naming_the_first",
                            "test_a_full_disk_is_one_line_naming_the_folder", "test_system_files_are_refused_by_name_and_never_echoed",
                            "test_implausible_values_stop_the_run_naming_file_column_line_and_value",
                            "test_allow_implausible_warns_and_records_the_warnings", "test_broken_lines_are_errors_never_dropped_rows",
                            "test_a_header_row_added_to_epraccur_is_reported",
                            "test_rerun_checks_data_files_missing_results_and_works_from_elsewhere"},
    "test_report.py": {"html_briefing", "test_pdf_is_a4_and_quotes_the_same_numbers"},
    "test_reproducibility.py": {"original"},
    "test_steady_state.py": {"test_fifty_years_without_growth_settle_and_keep_every_patient"},
    "test_steadiness.py": {"status_quo", "test_first_month_continues_the_history"},
    "test_responses.py": {"atlas", "short_atlas"},
    "test_sweep.py": {"latin", "test_a_dask_cluster_gives_the_same_file", "test_resume_after_kill_9_gives_the_identical_file",
                      "test_sensitivity_indices_for_sobol_and_morris",
                      "test_second_order_sobol_indices_are_written_when_paid_for", "test_one_worker_gives_the_same_file_as_two",
                      "test_bad_scheduler_exits_2_with_one_line_and_writes_nothing",
                      "test_the_worked_sobol_example_in_the_docs_runs", "test_a_worker_keeps_no_model_between_runs"},
    "test_validation.py": {"test_calibration_is_reproducible_and_finds_the_truth",
                           "test_validate_command_exit_status_and_files"},
    "test_verdicts.py": {"single_replication", "titled_comparison", "band_comparison",
                         "test_a_copied_scenario_that_keeps_another_files_name_is_warned_about",
                         "test_run_headline_lists_set_changes_beside_the_title", "test_run_charts_keep_one_unit_an_axis",
                         "test_history_charts_overlay_what_happened",
                         "test_rerun_of_a_comparison_folder_says_it_reruns_run_folders"},
}


def pytest_configure(config):
    # Hypothesis keeps caches in ./.hypothesis (written while collecting) and Dask its workers'
    # scratch space in $TMPDIR/dask-scratch-space; tests leave nothing behind, so both go to a
    # folder removed when the run ends (workers started by the tests inherit the variable).
    scratch = config.stash[SCRATCH] = Path(tempfile.mkdtemp(prefix="gpsim-tests-"))
    set_hypothesis_home_dir(scratch / "hypothesis")
    os.environ["DASK_TEMPORARY_DIRECTORY"] = str(scratch / "dask")


def pytest_unconfigure(config):
    shutil.rmtree(config.stash[SCRATCH], ignore_errors=True)


def pytest_collection_modifyitems(items):
    for item in items:
        slow = SLOW.get(item.path.name, set())
        if getattr(item, "originalname", item.name) in slow or slow.intersection(item.fixturenames):
            item.add_marker(pytest.mark.slow)


SMALL = {
    "name": "small",
    "start": "2017-04",
    "months": 48,
    "seed": 7,
    "replications": 1,
    "population": {"practices": 600, "commissioner_areas": 16, "regions": 2, "side_km": 100},
    "organisations": {
        "federation": {"kind": "federation", "initial_coverage": 0.4, "commissioner_push": 0.5},
        "pcn": {
            "kind": "network", "opens": "2019-07", "decision_rate": 0.5, "commissioner_push": 0.5,
            "band": {"min_patients": 30000, "max_patients": 50000},
            "payments": {"participation_per_weighted_patient": 1.761, "core_per_patient": 1.5,
                         "leadership_per_patient": 0.514},
        },
    },
    "additional_roles": {"start": "2019-07", "employer": "pcn"},
}


def small_data(**changes) -> dict:
    """The small scenario as plain data, deep-merged with changes (None removes a key)."""
    return merge(copy.deepcopy(SMALL), changes)


def small(**changes):
    """The small scenario, validated."""
    return validate(small_data(**changes), "test")


def small_model_in_month(months: int = 30):
    """A model of the small scenario stepped on (by default past the opening of PCNs, month 27)."""
    from sim.model.model import GPModel
    model = GPModel(small())
    for _ in range(months):
        model.step()
    return model


@pytest.fixture
def small_file(tmp_path) -> Path:
    """The small scenario written to a YAML file."""
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small_data()), encoding="utf-8")
    return path
