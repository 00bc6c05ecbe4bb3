#!/usr/bin/env python3
"""Validate OCPP 1.6 and 2.0.1 payloads against the JSON schemas shipped with the PyPI `ocpp` package.

Reads JSON lines from stdin, each
    {"action": "BootNotification", "kind": "request" | "response", "payload": {...}}
and validates the payload with a jsonschema Draft4Validator against
`ocpp/v16/schemas/<Action>.json` (request) or `<Action>Response.json` (response).
A line with `"version": "2.0.1"` is validated with a Draft6Validator (the schemas' own draft)
against `ocpp/v201/schemas/<Action>Request.json` or `<Action>Response.json`.

For every line that fails, prints one JSON line to stdout:
    {"line": 3, "action": ..., "kind": ..., "errors": [{"validator": "maxLength", "path": "idTag", "message": ...}]}
A summary goes to stderr. Exit status: 0 if every line validated, 1 if any failed,
2 on a usage error.

Differences from `ocpp`'s own validation, both deliberate:
- floats are parsed as decimal.Decimal for every action (ocpp does so for the three 1.6
  messages with `multipleOf: 0.1`), so 16.3 is a multiple of 0.1;
- `format: date-time` is checked (RFC 3339); ocpp's validator has no format checker.

    python validate_payloads.py --schema-dir [2.0.1]   prints the schema directory and exits.
"""

import datetime
import decimal
import json
import os
import re
import sys

try:
    import ocpp
    from jsonschema import Draft4Validator, Draft6Validator, FormatChecker
except ImportError as error:  # pragma: no cover - depends on the environment
    print(f"validate_payloads.py: needs the 'ocpp' and 'jsonschema' packages: {error}", file=sys.stderr)
    sys.exit(2)

SCHEMA_DIR = os.path.join(os.path.dirname(ocpp.__file__), "v16", "schemas")
SCHEMA_DIR_201 = os.path.join(os.path.dirname(ocpp.__file__), "v201", "schemas")

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)

format_checker = FormatChecker(formats=())


@format_checker.checks("date-time")
def is_date_time(instance):
    if not isinstance(instance, str):
        return True
    if not _RFC3339.match(instance):
        return False
    text = instance.upper().replace("Z", "+00:00")
    # datetime has no leap second; 60 is allowed by RFC 3339.
    text = text[:17] + ("59" if text[17:19] == "60" else text[17:19]) + text[19:]
    try:
        datetime.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


_validators = {}


def validator_for(action, kind, version="1.6"):
    if version == "2.0.1":
        name = action + ("Response" if kind == "response" else "Request")
        directory, validator_class = SCHEMA_DIR_201, Draft6Validator
    elif version == "1.6":
        name = action + ("Response" if kind == "response" else "")
        directory, validator_class = SCHEMA_DIR, Draft4Validator
    else:
        raise ValueError(f"version must be '1.6' or '2.0.1', got {version!r}")
    if (version, name) not in _validators:
        path = os.path.join(directory, name + ".json")
        with open(path, encoding="utf-8-sig") as handle:
            schema = json.load(handle, parse_float=decimal.Decimal)
        _validators[(version, name)] = validator_class(schema, format_checker=format_checker)
    return _validators[(version, name)]


def path_text(error):
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def main():
    if sys.argv[1:] == ["--schema-dir"]:
        print(SCHEMA_DIR)
        return 0
    if sys.argv[1:] == ["--schema-dir", "2.0.1"]:
        print(SCHEMA_DIR_201)
        return 0
    if sys.argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    checked = failed = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        checked += 1
        report = {"line": number}
        try:
            message = json.loads(line, parse_float=decimal.Decimal)
            action, kind, payload = message["action"], message["kind"], message["payload"]
            report.update(action=action, kind=kind)
            if kind not in ("request", "response"):
                raise ValueError(f"kind must be 'request' or 'response', got {kind!r}")
            if not isinstance(action, str) or not re.fullmatch(r"[A-Za-z]+", action):
                raise ValueError(f"action must be an OCPP action name, got {action!r}")
            validator = validator_for(action, kind, message.get("version", "1.6"))
            errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path))
            report["errors"] = [
                {"validator": e.validator, "path": path_text(e), "message": e.message} for e in errors
            ]
        except (ValueError, KeyError, TypeError, OSError) as error:
            report["errors"] = [{"validator": "input", "path": "", "message": str(error)}]
        if report["errors"]:
            failed += 1
            print(json.dumps(report, default=str), flush=True)
    print(f"validate_payloads.py: {checked} payload(s), {failed} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
