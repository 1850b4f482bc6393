"""Many runs: comparisons, sweeps, plain-function evaluation, validation and calibration."""
