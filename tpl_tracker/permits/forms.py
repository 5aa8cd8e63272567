"""Forms of the permits blueprint."""
