#!/usr/bin/env python3
"""validate-events.py SCHEMAS DUMP: validates every event of DUMP (a JSON list of
{"stream","id","type","data"} entries) against SCHEMAS/<type>.json (JSON Schema 2020-12).
Prints one line per event type with its count, one line per invalid event, and exits 1 when any
event is invalid or has no schema."""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator

schemas = {path.stem: Draft202012Validator(json.loads(path.read_text())) for path in pathlib.Path(sys.argv[1]).glob("*.json")}
for validator in schemas.values():
    Draft202012Validator.check_schema(validator.schema)
entries = json.loads(pathlib.Path(sys.argv[2]).read_text())
counts, bad = {}, 0
for entry in entries:
    kind = entry["type"]
    counts[kind] = counts.get(kind, 0) + 1
    validator = schemas.get(kind)
    if validator is None:
        print(f"no schema for {kind} ({entry['stream']} {entry['id']})")
        bad += 1
        continue
    try:
        data = json.loads(entry["data"])
    except ValueError as error:
        print(f"not JSON: {entry['stream']} {entry['id']} {kind}: {error}")
        bad += 1
        continue
    for error in validator.iter_errors(data):
        print(f"invalid: {entry['stream']} {entry['id']} {kind}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
        bad += 1
for kind in sorted(counts):
    print(f"{kind} {counts[kind]}")
sys.exit(1 if bad else 0)
