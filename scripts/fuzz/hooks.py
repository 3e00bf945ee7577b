"""Schemathesis hooks of the fuzz stage (scripts/fuzz/run.sh): what cannot be said in a schema.

A birth date must be in the past and within the last 130 years, a rule relative to today that no
JSON Schema can state. Bodies whose date is well formed but outside that range are not sent (the
e2e tests cover their 422); every other body, valid or not, is.
"""

import datetime

import jsonschema_rs
import schemathesis

MAX_AGE_YEARS = 130


def _plausible(text: str) -> bool:
    try:
        born = datetime.date.fromisoformat(text)
    except ValueError:
        return True  # not a date: the schema refuses it, and so must the server
    today = datetime.date.today()
    try:
        earliest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        earliest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    # A day's margin at either end: the server's clock and this one may straddle midnight.
    return earliest + datetime.timedelta(days=1) < born < today - datetime.timedelta(days=1)


@schemathesis.hook("filter_body").apply_to(path="/api/v1/users/me/profile", method="PATCH")
def plausible_birth_dates(ctx, body):
    if isinstance(body, dict) and isinstance(body.get("date_of_birth"), str):
        return _plausible(body["date_of_birth"])
    return True


# Schemathesis draws values for patterns with Unicode classes (`\p{Ll}`, the password rules)
# from its own approximation of those classes, which now and then strays outside them: it then
# sends, as valid, a body that the schema refuses, and reports the server's 422 as "schema-valid
# request rejected". Such a report is dropped only when the body really breaks the operation's
# published schema, judged by the same validator schemathesis uses elsewhere.
_validators = {}


def _body_validator(case):
    key = (case.method.upper(), case.operation.path)
    if key not in _validators:
        document = case.operation.schema.raw_schema
        operation = document["paths"][case.operation.path][case.method.lower()]
        content = operation.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        _validators[key] = (
            None
            if schema is None
            else jsonschema_rs.validator_for(
                {**schema, "components": document.get("components", {})}
            )
        )
    return _validators[key]


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    if type(failure).__name__ != "RejectedPositiveData" or case.body is None:
        return True
    validator = _body_validator(case)
    return validator is None or validator.is_valid(case.body)
