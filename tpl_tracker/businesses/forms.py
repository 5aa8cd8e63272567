"""Forms of the businesses blueprint."""
