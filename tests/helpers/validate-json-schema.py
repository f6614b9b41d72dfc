#!/usr/bin/env python3
"""validate-json-schema.py SCHEMA [JSON_FILE|-]

Validate a JSON document against one of the OCI runtime-spec schemas
(state-schema.json, config-schema.json, ...).  The schemas refer to each
other by relative file name ("defs.json#/..."), so references are resolved
against the schema's own directory.  Exit 0 when valid; 1 with every error
on stderr (path and message) when not; 2 on usage or unreadable input.
Works with the jsonschema of Debian 12 (RefResolver) and with newer ones
(the `referencing` library).
"""
import json
import os
import sys
import warnings


def load(path):
    if path == "-":
        return json.load(sys.stdin)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    schema_path = os.path.abspath(argv[1])
    try:
        schema = load(schema_path)
        doc = load(argv[2] if len(argv) == 3 else "-")
    except (OSError, ValueError) as e:
        print(f"validate-json-schema: {e}", file=sys.stderr)
        return 2

    import jsonschema

    base_dir = os.path.dirname(schema_path)
    validator_cls = jsonschema.validators.validator_for(schema)
    try:
        import referencing
        import referencing.jsonschema

        def retrieve(uri):
            name = uri.split("/")[-1]
            with open(os.path.join(base_dir, name), encoding="utf-8") as f:
                return referencing.Resource.from_contents(
                    json.load(f), default_specification=referencing.jsonschema.DRAFT4)

        registry = referencing.Registry(retrieve=retrieve)
        validator = validator_cls(schema, registry=registry)
    except ImportError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            resolver = jsonschema.RefResolver("file://" + base_dir + "/", schema)
            validator = validator_cls(schema, resolver=resolver)

    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        where = "." + ".".join(str(p) for p in e.path) if e.path else "(top)"
        print(f"{argv[2] if len(argv) == 3 else '-'}: {where}: {e.message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
