"""The service's OpenAPI 3.1 description, generated from the bundle's decisions (`GET /v1/openapi.json`).

One path per decision, its request body carrying that decision's own input schema (JSON Schema
Draft 2020-12, which OpenAPI 3.1 uses as is) and its marketplaces as an enum; the answer carries
the decision's output schema. So the description changes when, and only when, the bundle does.
"""

from __future__ import annotations

from typing import Any

PROBLEM = {
    "type": "object",
    "required": ["file", "line", "column", "code", "severity", "message", "hint"],
    "properties": {
        "file": {"type": "string"},
        "line": {"type": "integer"},
        "column": {"type": "integer"},
        "code": {"type": "string"},
        "severity": {"enum": ["error", "warning"]},
        "message": {"type": "string"},
        "hint": {"type": "string"},
    },
}
PROBLEMS = {
    "type": "object",
    "required": ["problems", "revision"],
    "properties": {
        "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
        "revision": {"type": ["string", "null"]},
    },
}


def describe(catalogue: dict[str, Any], revision: str, version: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for program in catalogue["programs"]:
        for d in program["decisions"]:
            paths[f"/v1/decide/{program['id']}/{d['id']}"] = {"post": _decide(program, d)}
            paths[f"/v1/batch/{program['id']}/{d['id']}"] = {"post": _batch(program, d)}
    paths["/v1/programs"] = {
        "get": {
            "summary": "Programs, decisions with their schemas, marketplaces",
            "responses": {"200": {"description": "the catalogue", "content": _json({"type": "object"})}},
        }
    }
    for path, what in (("/healthz", "the process answers"), ("/readyz", "a bundle is loaded")):
        paths[path] = {
            "get": {"summary": what, "responses": {"200": {"description": "yes"}, "503": {"description": "no"}}}
        }
    paths["/metrics"] = {
        "get": {
            "summary": "Prometheus metrics",
            "responses": {"200": {"description": "text format 0.0.4", "content": {"text/plain": {}}}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "policyctl decision service",
            "version": version,
            "description": f"Decisions answered from bundle revision {revision}.",
        },
        "paths": paths,
        "components": {"schemas": {"Problem": PROBLEM, "Problems": PROBLEMS}},
    }


def _decide(program: dict[str, Any], d: dict[str, Any]) -> dict[str, Any]:
    request = {
        "type": "object",
        "required": ["input", "marketplace"],
        "additionalProperties": False,
        "properties": {
            "input": d["input_schema"],
            "marketplace": {"enum": program["marketplaces"]},
            "at": {"type": "string", "format": "date", "description": "default: today"},
            "explain": {"type": "boolean", "default": False},
        },
    }
    answer = {
        "type": "object",
        "required": [
            "decision",
            "outputs",
            "matches",
            "reasons",
            "default_used",
            "problems",
            "at",
            "time_zone",
            "revision",
        ],
        "properties": {
            "decision": {"const": d["id"]},
            "outputs": d["output_schema"],
            "matches": {"type": "array", "items": {"type": "string"}},
            "reasons": {"type": "array", "items": {"type": "string"}},
            "default_used": {"type": "boolean"},
            "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
            "at": {
                "type": "string",
                "format": "date",
                "description": "the day answered for, in the marketplace's time zone (the request's `at`, or today there)",
            },
            "time_zone": {"type": "string", "description": "the marketplace's time zone (IANA), every date judged in"},
            "revision": {"type": "string"},
        },
    }
    return {
        "summary": d["title"],
        "description": d["description"],
        "operationId": f"decide_{program['id']}_{d['id']}",
        "requestBody": {"required": True, "content": _json(request)},
        "responses": {
            "200": {"description": "the answer", "content": _json(answer), "headers": _revision()},
            "400": _problems("the request cannot be read, or asks what cannot be asked (a date)"),
            "404": _problems("unknown program, decision or marketplace"),
            "413": _problems("the body is larger than the limit"),
            "422": {
                "description": "the input does not fit the decision (the answer with its problems)",
                "content": _json(answer),
            },
        },
    }


def _batch(program: dict[str, Any], d: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": f"{d['title']} (JSON Lines: one input per line, one answer per line)",
        "operationId": f"batch_{program['id']}_{d['id']}",
        "parameters": [
            {"name": "marketplace", "in": "query", "required": True, "schema": {"enum": program["marketplaces"]}},
            {"name": "at", "in": "query", "schema": {"type": "string", "format": "date"}},
        ],
        "requestBody": {"required": True, "content": {"application/x-ndjson": {"schema": d["input_schema"]}}},
        "responses": {
            "200": {
                "description": "one answer per input line, in order",
                "headers": _revision(),
                "content": {"application/x-ndjson": {}},
            },
            "400": _problems("a missing marketplace or a malformed date"),
            "404": _problems("unknown program, decision or marketplace"),
            "413": _problems("the body is larger than the limit"),
        },
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _problems(what: str) -> dict[str, Any]:
    return {"description": what, "content": _json({"$ref": "#/components/schemas/Problems"})}


def _revision() -> dict[str, Any]:
    return {
        "Policy-Revision": {
            "description": "the bundle's revision (sha256 of its manifest)",
            "schema": {"type": "string"},
        }
    }
