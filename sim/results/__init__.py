"""Running one scenario, its result tables, its folder and manifest."""
