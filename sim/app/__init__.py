"""What a person touches: the command line, its commands, the dashboard."""
