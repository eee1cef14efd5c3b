"""Forms of the service module (validation only: the actions save)."""
