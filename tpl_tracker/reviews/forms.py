"""Forms of the reviews blueprint."""
