"""Schemathesis hooks of the fuzz stage (scripts/fuzz/run.sh): what cannot be said in a schema.

One hook, on failures. A "schema-valid request rejected" report is dropped only when the request
was not what the check took it for:

- its body breaks the operation's published schema after all: schemathesis draws values for
  patterns with Unicode classes (`\\p{Ll}`, the password rules) from its own approximation of
  those classes, which now and then strays outside them. The body is judged by jsonschema-rs,
  the validator schemathesis itself uses;
- or the server's 422 names only fields whose rule relates a value to today or to another
  parameter, which no JSON Schema can state, and the request does break that rule: a birth date
  must be in the past and within the last 130 years; an order or payment search's `to` must be
  after its `from`; a sales report covers at most five years. The e2e tests cover those 422s;
- or it is Stripe's webhook refusing a body without Stripe's signature (400).

Every other report stands.
"""

import datetime

import jsonschema_rs
import schemathesis

MAX_AGE_YEARS = 130

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


def _named_fields(response):
    try:
        return {error["field"] for error in response.json().get("errors", [])}
    except Exception:  # not a problem with field errors
        return set()


def _implausible_birth_date(case):
    body = case.body if isinstance(case.body, dict) else {}
    try:
        born = datetime.date.fromisoformat(body.get("date_of_birth"))
    except (TypeError, ValueError):
        return False
    today = datetime.date.today()
    try:
        earliest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        earliest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    # A day's margin at either end: the server's clock and this one may straddle midnight.
    return not earliest + datetime.timedelta(days=1) < born < today - datetime.timedelta(days=1)


def _instant(text):
    if not isinstance(text, str):
        return None
    try:
        instant = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


def _range_not_after_start(case):
    query = case.query if isinstance(case.query, dict) else {}
    start, end = _instant(query.get("from")), _instant(query.get("to"))
    return start is not None and end is not None and start >= end


SALES_MAX_RANGE_DAYS = 366 * 5
SALES_DEFAULT_RANGE_DAYS = 30


def _sales_range_broken(case):
    """The sales report's range, with its defaults (to: now; from: 30 days before `to`), is
    reversed or longer than the longest report."""
    query = case.query if isinstance(case.query, dict) else {}
    end = _instant(query.get("to")) if "to" in query else datetime.datetime.now(datetime.timezone.utc)
    if end is None:
        return False
    start = (
        _instant(query.get("from"))
        if "from" in query
        else end - datetime.timedelta(days=SALES_DEFAULT_RANGE_DAYS)
    )
    if start is None:
        return False
    return start >= end or end - start > datetime.timedelta(days=SALES_MAX_RANGE_DAYS)


# The rules no schema can state: (method, path) -> (fields the 422 may name, does the case break it).
_UNSTATABLE = {
    ("PATCH", "/api/v1/users/me/profile"): ({"date_of_birth"}, _implausible_birth_date),
    ("GET", "/api/v1/admin/orders"): ({"to"}, _range_not_after_start),
    ("GET", "/api/v1/admin/payments"): ({"to"}, _range_not_after_start),
    ("GET", "/api/v1/admin/sales"): ({"from", "to"}, _sales_range_broken),
}


def _unsigned_webhook(case, response):
    """Stripe's webhook answers 400 to any body Stripe did not sign, whatever it holds: a
    signature over the raw body is the one thing no schema can state."""
    return (
        case.operation.path == "/api/v1/payments/webhook"
        and response.status_code == 400
        and "signature" in response.text
    )


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    if type(failure).__name__ != "RejectedPositiveData":
        return True
    if _unsigned_webhook(case, response):
        return False
    if case.body is not None:
        validator = _body_validator(case)
        if validator is not None and not validator.is_valid(case.body):
            return False
    rule = _UNSTATABLE.get((case.method.upper(), case.operation.path))
    if rule is not None and response.status_code == 422:
        fields, breaks = rule
        named = _named_fields(response)
        if named and named <= fields and breaks(case):
            return False
    return True
