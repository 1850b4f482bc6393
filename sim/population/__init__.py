"""Who the practices are at the start: a synthetic England, or one built from NHS data files."""
