#!/usr/bin/env python3
"""openapi_check.py - web/openapi.json matches the route table of src/serve/router.c.

usage: openapi_check.py SOURCE_DIR

Checks that web/openapi.json is JSON, says openapi "3.1.0", that every local "$ref" in it
resolves, and that its set of (method, path) equals the routes of src/serve/router.c, where
the router's {} is a named parameter ({id}, {ref}, ...) in OpenAPI and every such parameter
is declared as a path parameter of the operation. A route added to the router without a
description here (or the other way round) fails the test. Standard library only.
"""
import json
import re
import sys
from pathlib import Path

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ROUTE = re.compile(r'^\s*\{\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"\s*,', re.M)


def router_routes(src):
    text = (src / "src/serve/router.c").read_text(encoding="utf-8")
    table = re.search(r"static const wps_route routes\[\] = \{(.*?)\n\};", text, re.S)
    if table is None:
        sys.exit("openapi_check: no route table found in src/serve/router.c")
    routes = {(m.upper(), p) for m, p in ROUTE.findall(table.group(1))}
    if not routes:
        sys.exit("openapi_check: the route table of src/serve/router.c parsed empty")
    return routes


def resolve(doc, ref):
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def walk_refs(doc, node, where, errors):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/") or resolve(doc, ref) is None:
                errors.append(f"{where}: $ref {ref} does not resolve")
        for k, v in node.items():
            walk_refs(doc, v, f"{where}/{k}", errors)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk_refs(doc, v, f"{where}/{i}", errors)


def deref(doc, node):
    for _ in range(16):  # a chain of $refs, bounded
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        node = resolve(doc, node["$ref"]) or {}
    return node


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: openapi_check.py SOURCE_DIR")
    src = Path(sys.argv[1])
    errors = []
    try:
        doc = json.loads((src / "web/openapi.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        sys.exit(f"openapi_check: web/openapi.json: {e}")
    if not isinstance(doc, dict) or doc.get("openapi") != "3.1.0":
        errors.append('web/openapi.json: "openapi" is not "3.1.0"')
    for key in ("info", "paths"):
        if not isinstance(doc.get(key), dict):
            errors.append(f"web/openapi.json: no {key} object")
    walk_refs(doc, doc, "#", errors)

    documented = set()
    for path, item in (doc.get("paths") or {}).items():
        names = re.findall(r"\{([^}/]+)\}", path)
        for method, op in item.items():
            if method not in METHODS:
                continue
            documented.add((method.upper(), re.sub(r"\{[^}/]+\}", "{}", path)))
            declared = {
                p.get("name")
                for p in map(lambda x: deref(doc, x), op.get("parameters", []) + item.get("parameters", []))
                if isinstance(p, dict) and p.get("in") == "path"
            }
            for n in names:
                if n not in declared:
                    errors.append(f"{method.upper()} {path}: path parameter {{{n}}} not declared")
            if not op.get("responses"):
                errors.append(f"{method.upper()} {path}: no responses")

    routes = router_routes(src)
    for m, p in sorted(routes - documented):
        errors.append(f"{m} {p}: in src/serve/router.c but not in web/openapi.json")
    for m, p in sorted(documented - routes):
        errors.append(f"{m} {p}: in web/openapi.json but not in src/serve/router.c")

    for e in errors:
        print("openapi_check: " + e, file=sys.stderr)
    if errors:
        return 1
    print(f"openapi_check: {len(routes)} routes, all documented in web/openapi.json (OpenAPI 3.1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
