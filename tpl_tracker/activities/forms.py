"""Forms of the activities blueprint."""
