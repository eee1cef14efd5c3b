"""The OpenAPI schema documents the framework's optimistic locking on every versioned update."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():  # generated once: it reads labels, not records
        return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_versioned_updates_document_if_match_and_the_lock_answers(schema, method):
    op = schema["paths"]["/api/customers/{id}/"][method]
    assert "If-Match" in [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
    assert {"200", "409", "412", "428"} <= set(op["responses"])


def test_reads_and_creates_are_left_alone(schema):
    path = schema["paths"]["/api/customers/{id}/"]
    assert "428" not in path["get"]["responses"]
    assert "428" not in schema["paths"]["/api/customers/"]["post"]["responses"]
