"""What the user asked for, validated: the schema, loading and YAML safety, messages, calibrated values as data."""
