#!/usr/bin/env python3
"""Server-side dry run of rendered output trees; the engine of scripts/kube-dry-run.sh
(read its header for the contract). Needs PyYAML, KUBECTL (the kubectl built by
scripts/apiserver.sh, which has the batch mode this relies on) and KUBECONFIG.

usage: kube_dry_run.py [--allow FILE] [--jobs N] [--keep DIR] DIR...
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import yaml

DEFAULT_NAMESPACE = "taskrender"
SKIP_NAMES = {"kustomization.yaml", "kustomization.yml", ".taskrender-manifest", "Dockerfile"}
BUILD_LABELS = {
    "app.kubernetes.io/component": "build",
    "app.kubernetes.io/managed-by": "taskrender",
}
KUBECTL = os.environ.get("KUBECTL", "kubectl")
# libyaml when PyYAML has it: the pure-Python loader takes minutes over 10,000 files.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Obj:
    def __init__(self, source, index, doc):
        self.source = source
        self.index = index
        self.doc = doc
        meta = doc.get("metadata") or {}
        self.kind = doc.get("kind", "?")
        self.name = meta.get("name", "?")
        self.namespace = meta.get("namespace") or DEFAULT_NAMESPACE
        labels = meta.get("labels") or {}
        self.build = self.kind == "Job" and all(labels.get(k) == v for k, v in BUILD_LABELS.items())
        api = doc.get("apiVersion", "")
        group = api.split("/")[0] if "/" in api else ""
        # kubectl's `-o name` form: lower-case kind, dot group, slash name.
        self.printed = f"{self.kind.lower()}{'.' + group if group else ''}/{self.name}"
        self.target = baseline_namespace(self.namespace) if self.build else self.namespace
        self.file = None
        self.problems = []

    def where(self):
        return f"{self.source}" + (f"#{self.index}" if self.index is not None else "")

    def label(self):
        ns = self.namespace + (f" (judged as baseline in {self.target})" if self.build else "")
        return f"{self.where()}: {self.kind}/{self.name} in {ns}"


def baseline_namespace(ns):
    """The companion namespace enforcing baseline for build Jobs of namespace `ns`."""
    name = f"{ns}-baseline"
    if len(name) > 63:
        name = f"{ns[:43]}-{hashlib.sha256(ns.encode()).hexdigest()[:10]}-baseline"
    return name


def collect(dirs):
    objs, errors = [], []
    for top in dirs:
        paths = [top] if os.path.isfile(top) else sorted(
            os.path.join(root, f) for root, _, files in os.walk(top) for f in files)
        for path in paths:
            if os.path.basename(path) in SKIP_NAMES:
                continue
            try:
                with open(path, encoding="utf-8") as fh:
                    docs = [d for d in yaml.load_all(fh, Loader=LOADER) if d is not None]
            except (yaml.YAMLError, UnicodeDecodeError) as e:
                errors.append(f"{path}: not YAML: {str(e).splitlines()[0]}")
                continue
            for i, doc in enumerate(docs):
                if not isinstance(doc, dict) or "kind" not in doc:
                    errors.append(f"{path}#{i}: not a Kubernetes object")
                    continue
                objs.append(Obj(path, i if len(docs) > 1 else None, doc))
    return objs, errors


def load_allow(path):
    allowed = []
    if not path or not os.path.exists(path):
        return allowed
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            pattern, sep, reason = line.partition(" # ")
            if not sep or not reason.strip():
                sys.exit(f"{path}:{n}: every allowed warning needs a reason: `REGEX # reason`")
            allowed.append(re.compile(pattern.strip()))
    return allowed


def kubectl(args, env_extra=None, stdin=None):
    env = dict(os.environ, TASKRENDER_KUBECTL_BATCH="1", **(env_extra or {}))
    return subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True, env=env)


def ensure_namespaces(objs):
    levels = {}
    for o in objs:
        levels[o.target] = "baseline" if o.build else "restricted"
    docs = []
    for ns, level in sorted(levels.items()):
        labels = {}
        for mode in ("enforce", "warn", "audit"):
            labels[f"pod-security.kubernetes.io/{mode}"] = level
            labels[f"pod-security.kubernetes.io/{mode}-version"] = "latest"
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
    if not docs:
        return
    r = kubectl(["apply", "-f", "-"], stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
    if r.returncode != 0:
        # A namespace name the server refuses makes every object in it fail below, with a message.
        sys.stderr.write(r.stderr)


BATCH_PROBE = {"apiVersion": "v1", "kind": "ConfigMap", "taskrenderProbe": 1,
               "metadata": {"name": "taskrender-batch-mode-probe", "namespace": "default"}}


def check_batch_mode():
    """Everything below needs kubectl's batch mode (the kubectl scripts/apiserver.sh builds):
    each warning on stdout, just before its object's result line. Any other kubectl writes
    warnings to stderr, once each, and the objects they belong to would all pass. One object
    with an unknown field, applied with --validate=warn, must draw its warning on stdout."""
    r = kubectl(["apply", "--dry-run=server", "--validate=warn", "-o", "name", "-f", "-"],
                stdin=json.dumps(BATCH_PROBE))
    lines = r.stdout.splitlines()
    if r.returncode == 0 and len(lines) == 2 and lines[0].startswith("Warning: ") \
            and "taskrenderProbe" in lines[0] and lines[1] == "configmap/taskrender-batch-mode-probe":
        return None
    return (f"{KUBECTL} is not in batch mode (no warning on stdout for an unknown field; "
            f"stdout {r.stdout.strip()[:200]!r}, stderr {r.stderr.strip()[:200]!r}): "
            "use the kubectl built by scripts/apiserver.sh")


ERROR_START = re.compile(r"^(Error from server|error:|Error:|The \S+ \"[^\"]*\" is invalid)")
INVALID = re.compile(r'^The (\S+) "([^"]*)" is invalid')
FILE_IN_ERROR = re.compile(r'"[^"]*/(\d{7})\.json"')


def apply_chunk(chunk, workdir, extra):
    """kubectl apply --dry-run=server over one directory of one-object files; fills in
    each object's problems. Returns an infrastructure error message or None."""
    d = tempfile.mkdtemp(dir=workdir)
    for k, o in enumerate(chunk):
        o.file = os.path.join(d, f"{k:07d}.json")
        doc = dict(o.doc)
        doc["metadata"] = dict(doc.get("metadata") or {}, namespace=o.target)
        with open(o.file, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)
    r = kubectl(["apply", "--dry-run=server", "-o", "name", *extra, "-f", d])
    # stderr: errors, each naming its file; one record runs until the next error line.
    failed = {}
    current = None
    for line in r.stderr.splitlines():
        if ERROR_START.match(line):
            m = FILE_IN_ERROR.search(line)
            current = int(m.group(1)) if m else None
            inv = INVALID.match(line)
            if inv:
                # kubectl prints a 422 without the file; kind and name are unique in a chunk.
                current = next((k for k, o in enumerate(chunk)
                                if o.kind == inv.group(1) and o.name == inv.group(2)), None)
            if current is None:
                return f"kubectl: {line}"
            failed.setdefault(current, []).append(line)
        elif current is not None:
            failed[current].append(line)
    for k, lines in failed.items():
        msg = " ".join(l.strip() for l in lines)
        msg = re.sub(r'error when (creating|applying patch[^"]*|retrieving current configuration of[^"]*) "[^"]*": ', "", msg)
        chunk[k].problems.append(msg)
    # stdout: warnings, each just before the result line of the object it belongs to; an
    # object that failed has no result line, so warnings in a gap that holds failed objects
    # are theirs or the next object's: those next objects are applied again, alone.
    pending, k, again = [], 0, []
    for line in r.stdout.splitlines():
        if line.startswith("Warning: "):
            pending.append(line)
            continue
        gap = []
        while k < len(chunk) and (k in failed or chunk[k].printed != line.strip()):
            if k not in failed:
                return f"kubectl: unexpected output {line!r} (expected {chunk[k].printed!r})"
            gap.append(k)
            k += 1
        if k >= len(chunk):
            return f"kubectl: unexpected output {line!r}"
        if pending and gap:
            for g in gap:
                chunk[g].problems.extend(pending)
            again.append(chunk[k])
        else:
            chunk[k].problems.extend(pending)
        pending = []
        k += 1
    tail = []
    while k < len(chunk) and k in failed:
        tail.append(chunk[k])
        k += 1
    if k < len(chunk):
        if r.returncode != 0 and not failed:
            return f"kubectl exited {r.returncode}: {r.stderr.strip()[:500]}"
        return f"kubectl: no result for {chunk[k].label()}"
    for o in tail:
        o.problems.extend(pending)
    for o in again:
        r1 = kubectl(["apply", "--dry-run=server", "-o", "name", *extra, "-f", o.file])
        o.problems.extend(l for l in r1.stdout.splitlines() if l.startswith("Warning: "))
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--allow")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--chunk", type=int, default=2000)
    ap.add_argument("--apply-flag", action="append", default=[])
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    allowed = load_allow(a.allow)
    objs, errors = collect(a.dirs)
    for e in errors:
        print(f"rejected {e}")
    ensure_namespaces(objs)
    problem = check_batch_mode()
    if problem:
        print(f"kube-dry-run: {problem}", file=sys.stderr)
        sys.exit(2)
    # Chunks: the objects in order (sorted by namespace), cut every --chunk objects, and
    # spread over --jobs kubectl processes. A chunk may span namespaces (each object names
    # its own): one kubectl process per namespace made runs over many namespaces slow.
    # Each chunk holds a kind/name at most once (kubectl names some errors by kind and name
    # only, without the namespace); up to `size` objects.
    size = max(1, min(a.chunk, -(-len(objs) // max(1, a.jobs))))
    open_chunks = []
    for o in sorted(objs, key=lambda o: o.target):
        key = (o.kind, o.name)
        for c, keys in open_chunks:
            if key not in keys and len(c) < size:
                c.append(o)
                keys.add(key)
                break
        else:
            open_chunks.append(([o], {key}))
    chunks = [c for c, _ in open_chunks]
    with tempfile.TemporaryDirectory(prefix="kube-dry-run-") as work:
        with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
            infra = [e for e in pool.map(lambda c: apply_chunk(c, work, a.apply_flag), chunks) if e]
    if infra:
        for e in infra:
            print(f"kube-dry-run: {e}", file=sys.stderr)
        sys.exit(2)
    accepted, rejected = 0, len(errors)
    for o in objs:
        problems = [p for p in o.problems
                    if not (p.startswith("Warning: ") and any(r.search(p) for r in allowed))]
        if problems:
            rejected += 1
            print(f"rejected {o.label()}: {' | '.join(problems)}")
        else:
            accepted += 1
    print(f"apiserver: {accepted} accepted, {rejected} rejected")
    sys.exit(1 if rejected else 0)


if __name__ == "__main__":
    main()
