"""Pages of the service module beyond the generic list/detail/edit pages."""
