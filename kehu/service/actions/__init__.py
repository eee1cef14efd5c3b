"""Business rules of the service module, one module per area (pages, API and tasks call them)."""
