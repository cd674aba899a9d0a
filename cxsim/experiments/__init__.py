"""Running the model: single runs, replications on executors, sweeps, comparison, validation, calibration."""
