"""The API description built from the contract (what a deployment's /swagger.json serves)."""

from __future__ import annotations

import json

import jsonschema
import pytest
from datascience import openapi
from datascience.bundle import SMOKE_REQUEST_FILE


@pytest.fixture(scope="module")
def templates():
    return openapi.server_templates()


def test_both_versions_fill_the_servers_templates(contract, templates):
    docs = openapi.documents(
        contract, templates, max_rows=50, service={"name": "taxi", "path_prefix": "api/"}
    )
    assert set(docs) == {"swagger.json", "swagger3.json"}
    two, three = docs["swagger.json"], docs["swagger3.json"]
    assert (two["swagger"], two["info"]["title"]) == ("2.0", "taxi")
    assert three["openapi"].startswith("3.0")
    assert "/api/score" in two["paths"]
    assert "/api/score" in three["paths"]
    assert "$SERVICE_NAME$" not in json.dumps(docs)
    rows2 = two["definitions"]["ServiceInput"]["properties"]["data"]
    rows3 = three["components"]["schemas"]["ServiceInput"]["properties"]["data"]
    assert rows2["maxItems"] == 50
    count2 = rows2["items"]["properties"]["passenger_count"]
    assert count2 == {
        "type": "integer",
        "minimum": 1,
        "maximum": 6,
        "description": contract.column("passenger_count").description,
        "x-nullable": True,
    }
    assert rows3["items"]["properties"]["passenger_count"]["nullable"] is True
    assert "trip_id" in rows2["items"]["properties"]  # the id column: accepted and ignored
    assert "trip_id" not in rows2["items"]["required"]


def test_requests_the_contract_refuses_do_not_fit_the_schema(contract, taxi_trained, templates):
    example = json.loads((taxi_trained.bundle / SMOKE_REQUEST_FILE).read_text())
    docs = openapi.documents(contract, templates, max_rows=10_000, example=example)
    schema = docs["swagger.json"]["definitions"]["ServiceInput"]
    jsonschema.validate(example, schema)
    row = example["data"][0]
    for bad in (
        {**row, "trip_distance": 151.0},
        {**row, "vendor": "XYZ"},
        {**row, "colour": "red"},
        {k: v for k, v in row.items() if k != "vendor"},
        {**row, "passenger_count": 2.5},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"data": [bad]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"data": [row], "rows": 1}, schema)


def test_classification_output_names_the_classes(iris_contract, templates):
    docs = openapi.documents(
        iris_contract, templates, max_rows=10, classes=("setosa", "versicolor", "virginica")
    )
    output = docs["swagger3.json"]["components"]["schemas"]["ServiceOutput"]
    assert output["required"] == ["predictions", "probabilities"]
    assert output["properties"]["predictions"]["items"]["enum"] == ["setosa", "versicolor", "virginica"]


def test_the_files_are_written_whole(contract, templates, tmp_path):
    docs = openapi.documents(contract, templates, max_rows=10)
    written = openapi.write_documents(tmp_path, docs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["swagger.json", "swagger3.json"]
    assert json.loads(written[0].read_text()) == docs["swagger.json"]
