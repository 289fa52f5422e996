#!/usr/bin/env python3
"""Vendor the Kubernetes object schemas that Task parameters embed.

Reads the strict JSON Schema definitions that kubernetes-validate bundles (generated from
the Kubernetes OpenAPI document of one release) and writes the transitive closure of the
types the Task schema references into schemas/k8s-defs.json. The closure is copied
verbatim except for OVERLAY below: the API server checks these enums at admission time;
checking them here moves the error from `kubectl apply` to `taskrender check`.

usage: scripts/vendor_k8s_defs.py [DEFINITIONS_JSON]
       (default: the referee venv's kubernetes-validate, Kubernetes 1.37)
"""
import json
import os
import sys

VERSION = "1.37.0"
ROOTS = ["io.k8s.api.core.v1.Affinity", "io.k8s.api.core.v1.Toleration"]
OVERLAY = {
    ("io.k8s.api.core.v1.Toleration", "operator"): ["Equal", "Exists", "Lt", "Gt"],
    ("io.k8s.api.core.v1.Toleration", "effect"): ["NoSchedule", "PreferNoSchedule", "NoExecute"],
    ("io.k8s.api.core.v1.NodeSelectorRequirement", "operator"):
        ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"],
    ("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement", "operator"):
        ["In", "NotIn", "Exists", "DoesNotExist"],
}
PREFIXES = ("#/$defs/", "/api/_definitions.json#/$defs/")


def main():
    default = os.path.expanduser(
        "~/.cache/referees/lib/python3.11/site-packages/kubernetes_validate/"
        f"kubernetes-json-schema/v{VERSION}-local-strict/_definitions.json")
    src = sys.argv[1] if len(sys.argv) > 1 else default
    defs = json.load(open(src))["$defs"]
    out, todo = {}, list(ROOTS)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        schema = json.loads(json.dumps(defs[name]))
        out[name] = schema

        def walk(node):
            if isinstance(node, dict):
                ref = node.get("$ref")
                for prefix in PREFIXES:
                    if isinstance(ref, str) and ref.startswith(prefix):
                        target = ref[len(prefix):]
                        node["$ref"] = "#/$defs/" + target
                        todo.append(target)
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
        walk(schema)
    for (name, prop), values in OVERLAY.items():
        if name in out:
            out[name]["properties"][prop]["enum"] = values + [None]
    doc = {
        "$comment": f"Kubernetes v{VERSION} definitions (strict), vendored by scripts/vendor_k8s_defs.py; do not edit",
        "$defs": dict(sorted(out.items())),
    }
    path = os.path.join(os.path.dirname(__file__), "..", "schemas", "k8s-defs.json")
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=2, sort_keys=False)
        fh.write("\n")
    print(f"wrote {len(out)} definitions to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
