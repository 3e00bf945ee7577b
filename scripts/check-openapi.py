"""Validates an OpenAPI document as `openapi-spec-validator FILE` does, reading its patterns as
ECMA-262, the dialect JSON Schema gives them (2020-12, 6.3.3).

openapi-spec-validator checks `format: regex` with Python's `re`, which has no Unicode property
escapes (`\\p{Ll}`): the password rules and names of the document need them. Here a pattern is
checked by jsonschema-rs, the ECMA-262 reading schemathesis validates with too; everything else is
the spec validator's own work.

    python scripts/check-openapi.py openapi.json
"""

import json
import sys

import jsonschema_rs
from openapi_schema_validator import oas30_format_checker, oas31_format_checker
from openapi_spec_validator import validate


def is_ecma_regex(instance: object) -> bool:
    if isinstance(instance, str):
        # Compiling a schema with the pattern raises ValidationError when it does not parse.
        jsonschema_rs.validator_for({"pattern": instance})
    return True


for checker in (oas30_format_checker, oas31_format_checker):
    checker.checkers["regex"] = (is_ecma_regex, (jsonschema_rs.ValidationError, ValueError))

with open(sys.argv[1]) as file:
    validate(json.load(file))
print(f"{sys.argv[1]}: OK")
