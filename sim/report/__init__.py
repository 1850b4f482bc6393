"""Charts and briefings drawn from results; runs nothing."""
