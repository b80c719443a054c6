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
# the input line a batch's line is about: every line of `/v1/batch`'s answer starts with it
LINE = {
    "type": "integer",
    "minimum": 1,
    "description": "the input line this line is about (1-based, blank lines counted, as a problem's `line`)",
}
# a batch line that is no answer (not UTF-8, not JSON, an answer that cannot be sent, the batch
# stopped at a limit): the input line it is about, its problems, the revision
BATCH_PROBLEM = {
    "type": "object",
    "required": ["line", "problems", "revision"],
    "additionalProperties": False,
    "properties": {
        "line": LINE,
        "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
        "revision": {"type": "string"},
    },
}
# what an explained answer says of each parameter it read (`Explanation.to_json`): its value,
# where it is written, its layer, where it comes from or that it is an assumption, and its note; one
# definition for `params` (on the answer's day) and `params_on` (on another day, `param_on`)
_READ = {
    "value": {},
    "from": {"type": "string", "description": "the value's `file:line` in the policies"},
    "origin": {
        "type": "string",
        "description": "the layer the value came from (`base`, the overlay, a dated change: `base change from "
        "2025-01-01`, `(date assumed)` when its day is an assumption)",
    },
    "source": {"type": "string", "description": "where the value comes from (its `source`), when it has one"},
    "assumption": {
        "type": "string",
        "description": "the value in force is (in part) an assumption: what is assumed and why",
    },
    "assumed": {
        "type": "array",
        "items": {"type": "string"},
        "description": "what of it is assumed, given with `assumption`: `value`, `date` (the day it took effect), "
        "or JSON Pointers to parts of the value",
    },
    "note": {
        "type": "string",
        "description": "what the policy's author says a reader of the value should know (its `note`), when it has "
        "one: e.g. that null means not stated, not none",
    },
    "until": {
        "type": "object",
        "description": "the day the value ends (the next change's), with that change's assumption when the day is one",
        "required": ["day"],
        "additionalProperties": False,
        "properties": {"day": {"type": "string", "format": "date"}, "assumption": {"type": "string"}},
    },
}
PARAMETER_READ = {
    "type": "object",
    "description": "a parameter read on the answer's day (`params.NAME`)",
    "required": ["value", "from", "origin"],
    "dependentRequired": {"assumption": ["assumed"], "assumed": ["assumption"]},
    "additionalProperties": False,
    "properties": _READ,
}
PARAMETER_READ_ON = {
    "type": "object",
    "description": "a parameter read on another day (`param_on`), with the entry in force on that day",
    "required": ["parameter", "on", "value", "from", "origin"],
    "dependentRequired": {"assumption": ["assumed"], "assumed": ["assumption"]},
    "additionalProperties": False,
    "properties": {"parameter": {"type": "string"}, "on": {"type": "string", "format": "date"}, **_READ},
}
# what `explain` adds to an answer, as `policyctl decide --explain` prints it
EXPLAINED = {
    "rows": {
        "type": "array",
        "description": "the rows tried, in order",
        "items": {
            "type": "object",
            "required": ["id", "at", "when", "matched"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string"},
                "at": {"type": "string", "description": "the row's `file:line` in the policies"},
                "when": {"type": ["string", "null"], "description": "its condition (null: none, it always matches)"},
                "matched": {
                    "type": ["boolean", "null"],
                    "description": "null: its condition, or a `let` it needs, failed (the answer's problem)",
                },
            },
        },
    },
    "let": {"type": "object", "description": "the `let` values computed"},
    "params": {
        "type": "object",
        "description": "the parameters read",
        "additionalProperties": {"$ref": "#/components/schemas/ParameterRead"},
    },
    "params_on": {
        "type": "array",
        "description": "the parameters read for another day (`param_on`)",
        "items": {"$ref": "#/components/schemas/ParameterReadOn"},
    },
    "rests_on": {
        "type": "array",
        "description": "the parameters read whose value in force is an assumption",
        "items": {
            "type": "object",
            "required": ["parameter", "assumed"],
            "additionalProperties": False,
            "properties": {"parameter": {"type": "string"}, "assumed": {"type": "array", "items": {"type": "string"}}},
        },
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
        "components": {
            "schemas": {
                "Problem": PROBLEM,
                "Problems": PROBLEMS,
                "BatchProblem": BATCH_PROBLEM,
                "ParameterRead": PARAMETER_READ,
                "ParameterReadOn": PARAMETER_READ_ON,
            }
        },
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
    answer = _answer(d)
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


def _answer(d: dict[str, Any], batch: bool = False) -> dict[str, Any]:
    """An answer of one decision: `/v1/decide`'s body, or (``batch``) an answer line of `/v1/batch`'s,
    which starts with the input line it answers (with `explain`, also the rows tried, the `let`
    values and the parameters read)."""
    line = {"line": LINE} if batch else {}
    return {
        "type": "object",
        "required": [
            *line,
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
            **line,
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
            **EXPLAINED,
        },
        "additionalProperties": False,
    }


def _batch(program: dict[str, Any], d: dict[str, Any]) -> dict[str, Any]:
    answer = _answer(d, batch=True)
    return {
        "summary": f"{d['title']} (JSON Lines: one input per line, one answer per line)",
        "operationId": f"batch_{program['id']}_{d['id']}",
        "parameters": [
            {"name": "marketplace", "in": "query", "required": True, "schema": {"enum": program["marketplaces"]}},
            {"name": "at", "in": "query", "schema": {"type": "string", "format": "date"}},
            {"name": "explain", "in": "query", "schema": {"enum": ["true", "false"], "default": "false"}},
        ],
        "requestBody": {"required": True, "content": {"application/x-ndjson": {"schema": d["input_schema"]}}},
        "responses": {
            "200": {
                "description": "one line per input line that is not blank, in order",
                "headers": _revision(),
                "content": {
                    "application/x-ndjson": {
                        "schema": {
                            "description": (
                                "one line of the body, starting with the input line it is about (`line`, "
                                "1-based, blank lines counted): the answer to that line (as /v1/decide's, "
                                "rows, let and params with `explain=true`), or a problem line (not JSON, "
                                "not UTF-8, an answer too large to send, or the batch stopped at a limit)"
                            ),
                            "oneOf": [answer, {"$ref": "#/components/schemas/BatchProblem"}],
                        }
                    }
                },
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
