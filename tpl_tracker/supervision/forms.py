"""Forms of the supervision blueprint."""
