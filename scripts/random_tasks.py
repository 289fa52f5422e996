#!/usr/bin/env python3
"""Random Tasks for the differential test (scripts/differential.sh): Tasks meant to be valid
(every action, every parameter, every volume type, the built-in profiles), with values drawn
towards the edges of what the schema allows (longest names, largest numbers, prefixed keys,
extended resources, every toleration and affinity shape), so that whatever `taskrender check`
accepts and the API server refuses shows up. Deterministic: the same --seed gives the same files.

usage: random_tasks.py [--seed S] [--count N] [--start K] OUTDIR
Writes OUTDIR/task-NNNNNN.yaml, one Task per file (and, for `function.image_from`, the
build Task it names), names unique across the set and ending in -NNNNNN's number. Task i
depends only on (seed, i): `--start i --count 1` rewrites one Task of a run.
"""

import argparse
import json
import os
import random
import string

LOWER = string.ascii_lowercase
ALNUM = LOWER + string.digits
LABEL_CHARS = string.ascii_letters + string.digits


def dns_label(r, maxlen=63, minlen=1):
    """A DNS-1123 label; sometimes the longest allowed, sometimes starting with a digit."""
    n = r.choice([minlen, r.randint(minlen, min(maxlen, 12)), maxlen]) if maxlen > minlen else minlen
    if n == 1:
        return r.choice(ALNUM)
    middle = "".join(r.choice(ALNUM + "-") for _ in range(n - 2))
    return r.choice(ALNUM) + middle + r.choice(ALNUM)


def word(r, n=None):
    n = n or r.randint(1, 10)
    return r.choice(LOWER) + "".join(r.choice(ALNUM) for _ in range(n - 1))


def dns_subdomain(r, maxlen=253):
    parts = [word(r) for _ in range(r.randint(1, 4))]
    s = ".".join(parts)
    if r.random() < 0.1:
        # the longest subdomain: labels of 63 joined by dots
        s = ".".join(dns_label(r, 63, 63) for _ in range(3)) + "." + dns_label(r, 61, 61)
    return s[:maxlen].rstrip(".-") or "a"


def label_value(r):
    c = r.random()
    if c < 0.1:
        return ""
    n = 63 if c < 0.2 else r.randint(1, 20)
    if n == 1:
        return r.choice(LABEL_CHARS)
    return r.choice(LABEL_CHARS) + "".join(r.choice(LABEL_CHARS + "-_.") for _ in range(n - 2)) + r.choice(LABEL_CHARS)


def qualified_name(r, reserved_ok=False):
    """A label/annotation key: optional DNS prefix, then a name part."""
    c = r.random()
    if c < 0.1:
        name = r.choice(LABEL_CHARS) + "".join(r.choice(LABEL_CHARS + "-_.") for _ in range(61)) + r.choice(LABEL_CHARS)
    else:
        name = word(r)
    if r.random() < 0.4:
        prefix = dns_subdomain(r)
        if r.random() < 0.1:
            prefix = dns_subdomain(r, 253)
        return f"{prefix}/{name}"
    return name


def quantity(r, kind):
    if kind == "cpu":
        return r.choice(["100m", "250m", "500m", "1", "2", "4", 1, 2, 0.5, "1.5", "1500m", "64"])
    if kind == "memory":
        return r.choice(["64Mi", "128Mi", "512Mi", "1Gi", "2G", "3Gi", "128974848", "1e9", "129M", "16Gi"])
    if kind == "storage":
        return r.choice(["1Gi", "5Gi", "10Gi", "100Mi", "1Ti", "500M"])
    return r.choice([1, 2, "1", "4", 8])


def image(r):
    host = r.choice(["", "ghcr.io/", "registry.example.com:5000/", "localhost:5000/", "quay.io/", "docker.io/library/"])
    path = "/".join(word(r) for _ in range(r.randint(1, 3)))
    tag = r.choice(["", ":latest", ":1.2.3", ":v2", ":3.12-slim", ":" + "a" * 128])
    digest = ""
    if r.random() < 0.1:
        digest = "@sha256:" + "".join(r.choice("0123456789abcdef") for _ in range(64))
    return host + path + tag + digest


def abs_path(r, used):
    for _ in range(20):
        p = "/" + "/".join(word(r) for _ in range(r.randint(1, 3)))
        if r.random() < 0.1:
            p += "/"
        key = p.rstrip("/")
        if key not in used and not any(key.startswith(u + "/") or u.startswith(key + "/") for u in used):
            used.add(key)
            return p
    return None


def dns_subdomain_re(x):
    return all(p and p[0] in ALNUM and p[-1] in ALNUM and set(p) <= set(ALNUM + "-") for p in x.split("."))


def store_key(r):
    first = r.choice(string.ascii_letters + "_")
    return first + "".join(r.choice(string.ascii_letters + string.digits + "_") for _ in range(r.randint(0, 20)))


def env_name(r):
    first = r.choice(string.ascii_letters + "_-.")
    return first + "".join(r.choice(string.ascii_letters + string.digits + "_-.") for _ in range(r.randint(0, 20)))


def volumes(r):
    out, names, paths = [], set(), set()
    for _ in range(r.choice([0, 0, 1, 2, 4])):
        name = dns_label(r)
        if name in names:
            continue
        names.add(name)
        path = abs_path(r, paths)
        if path is None:
            continue
        vt = r.choice(["persistent_volume_claim", "empty_dir", "ephemeral", "shared_volume"])
        v = {"volume_type": vt, "name": name, "mount_path": path}
        spec = {}
        if vt == "persistent_volume_claim":
            if r.random() < 0.5:
                spec["size"] = quantity(r, "storage")
                if r.random() < 0.5:
                    spec["storage_class"] = dns_subdomain(r)
            else:
                spec["claim_name"] = dns_subdomain(r)
        elif vt == "empty_dir":
            if r.random() < 0.5:
                spec["size_limit"] = quantity(r, "storage")
            if r.random() < 0.3:
                spec["medium"] = "Memory"
        elif vt == "ephemeral":
            spec["size"] = quantity(r, "storage")
            if r.random() < 0.5:
                spec["storage_class"] = dns_subdomain(r)
        elif r.random() < 0.5:
            spec["claim_name"] = dns_subdomain(r)
        if spec or r.random() < 0.3:
            v["spec"] = spec
        out.append(v)
    return out


# Quantities in increasing order, so that a request never exceeds its limit.
CPU = ["100m", "250m", 0.5, "500m", "1", 1, "1500m", "1.5", 2, "2", "4", "64"]
MEMORY = ["64Mi", "128974848", "129M", "128Mi", "512Mi", "1e9", "1Gi", "2G", "3Gi", "16Gi"]
STORAGE = ["100Mi", "500M", "1Gi", "5Gi", "10Gi", "1Ti"]
EXTENDED = ["nvidia.com/gpu", "amd.com/gpu", "example.com/fpga"]


def request_limit(r, scale):
    """(request, limit), either may be None; request <= limit."""
    i, j = sorted(r.randrange(len(scale)) for _ in range(2))
    c = r.random()
    if c < 0.4:
        return scale[i], scale[j]
    if c < 0.7:
        return scale[i], None
    return None, scale[j]


def resources(r, hardened=False):
    """One of the three shapes: Kubernetes {requests, limits}, the platform's scalar
    {cpu, mem, gpu, disk} (requests), or its per-resource {cpu: {requests, limits}, ...}."""
    shape = r.choice(["k8s", "k8s", "scalar", "per-resource"])
    # The hardened profile's limits (cpu 500m, memory 512Mi) bound every request.
    cpu, memory = (CPU[:4], MEMORY[:5]) if hardened else (CPU, MEMORY)
    if shape == "scalar":
        res = {}
        if r.random() < 0.7:
            res["cpu"] = r.choice(cpu)
        if r.random() < 0.7:
            res["mem"] = r.choice(memory)
        if r.random() < 0.3:
            res["gpu"] = r.choice([1, 2, "1", 8])
        if r.random() < 0.3:
            res["disk"] = r.choice(STORAGE)
        return res
    if shape == "per-resource":
        res = {}
        for key, scale in (("cpu", cpu), ("mem", memory)):
            if r.random() < 0.7:
                req, lim = request_limit(r, scale)
                res[key] = {k: v for k, v in (("requests", req), ("limits", lim)) if v is not None}
        if r.random() < 0.3:
            n = r.choice([1, 2, "4"])
            res["gpu"] = r.choice([{"requests": n, "limits": n}, {"limits": n}, {"requests": n}])
        if r.random() < 0.2:
            res["disk"] = r.choice(STORAGE)
        return res
    limits, requests = {}, {}
    for kind, scale in (("cpu", cpu), ("memory", memory), ("ephemeral-storage", STORAGE)):
        if r.random() < 0.6:
            req, lim = request_limit(r, scale)
            if req is not None:
                requests[kind] = req
            if lim is not None:
                limits[kind] = lim
    if r.random() < 0.2:
        # Extended resources: a whole number, the limit required, a request equal to it.
        ext = r.choice(EXTENDED)
        n = r.choice([1, 2, "1", "4", 8])
        limits[ext] = n
        if r.random() < 0.5:
            requests[ext] = n
    if r.random() < 0.05:
        # Huge pages need a memory or cpu request; limit = request.
        hp = r.choice(["hugepages-2Mi", "hugepages-1Gi"])
        q = r.choice(["2Mi", "4Mi", "100Mi"]) if hp == "hugepages-2Mi" else r.choice(["1Gi", "2Gi"])
        limits[hp] = q
        requests.setdefault("memory", "128Mi")
        if "memory" in limits and MEMORY.index(limits["memory"]) < MEMORY.index(requests["memory"]):
            limits["memory"] = requests["memory"]
    res = {}
    if limits:
        res["limits"] = limits
    if requests:
        res["requests"] = requests
    return res


def toleration(r):
    op = r.choice(["Equal", "Exists", None])
    t = {}
    if op != "Exists" or r.random() < 0.7:
        t["key"] = qualified_name(r)
    if op:
        t["operator"] = op
    if op != "Exists":
        t["value"] = label_value(r)
    effect = r.choice(["NoSchedule", "PreferNoSchedule", "NoExecute", None])
    if effect:
        t["effect"] = effect
    if effect == "NoExecute" and r.random() < 0.5:
        t["tolerationSeconds"] = r.choice([0, 300, 3600])
    return t


def selector_requirement(r, node):
    op = r.choice(["In", "NotIn", "Exists", "DoesNotExist"] + (["Gt", "Lt"] if node else []))
    req = {"key": qualified_name(r), "operator": op}
    if op in ("In", "NotIn"):
        req["values"] = [label_value(r) or "x" for _ in range(r.randint(1, 3))]
    elif op in ("Gt", "Lt"):
        req["values"] = [str(r.randint(0, 1000))]
    return req


def label_selector(r):
    s = {}
    if r.random() < 0.7:
        s["matchLabels"] = {qualified_name(r): label_value(r) for _ in range(r.randint(1, 2))}
    if r.random() < 0.4 or not s:
        s["matchExpressions"] = [selector_requirement(r, False) for _ in range(r.randint(1, 2))]
    return s


def node_selector_term(r):
    term = {"matchExpressions": [selector_requirement(r, True) for _ in range(r.randint(1, 2))]}
    if r.random() < 0.2:
        # The only field selector nodes support: metadata.name, In/NotIn with one value.
        term["matchFields"] = [{"key": "metadata.name", "operator": r.choice(["In", "NotIn"]),
                                "values": [dns_subdomain(r)]}]
        if r.random() < 0.5:
            del term["matchExpressions"]
    return term


def pod_affinity_term(r):
    t = {"topologyKey": r.choice(["kubernetes.io/hostname", "topology.kubernetes.io/zone", qualified_name(r)])}
    t["labelSelector"] = label_selector(r)  # required (check refuses a term without one)
    if r.random() < 0.2:
        t["namespaces"] = [dns_label(r) for _ in range(r.randint(1, 2))]
    if r.random() < 0.15:
        t["namespaceSelector"] = label_selector(r) if r.random() < 0.7 else {}
    if r.random() < 0.15:
        # Keys may not repeat between the two lists, nor with the selector's own keys.
        used = set((t["labelSelector"].get("matchLabels") or {}))
        used |= {e["key"] for e in t["labelSelector"].get("matchExpressions") or []}
        keys = [k for k in {qualified_name(r) for _ in range(3)} if k not in used]
        split = r.randint(0, len(keys))
        if keys[:split]:
            t["matchLabelKeys"] = keys[:split]
        if keys[split:]:
            t["mismatchLabelKeys"] = keys[split:]
    return t


def affinity(r):
    a = {}
    if r.random() < 0.6:
        na = {}
        if r.random() < 0.6:
            na["requiredDuringSchedulingIgnoredDuringExecution"] = {
                "nodeSelectorTerms": [node_selector_term(r) for _ in range(r.randint(1, 2))]}
        if r.random() < 0.6 or not na:
            na["preferredDuringSchedulingIgnoredDuringExecution"] = [
                {"weight": r.choice([1, 50, 100]), "preference": {"matchExpressions": [selector_requirement(r, True)]}}]
        a["nodeAffinity"] = na
    for kind in ("podAffinity", "podAntiAffinity"):
        if r.random() < 0.3:
            pa = {}
            if r.random() < 0.5:
                pa["requiredDuringSchedulingIgnoredDuringExecution"] = [pod_affinity_term(r)]
            else:
                pa["preferredDuringSchedulingIgnoredDuringExecution"] = [
                    {"weight": r.choice([1, 100]), "podAffinityTerm": pod_affinity_term(r)}]
            a[kind] = pa
    return a


def service_ports(r):
    ports, used, names = [], set(), set()
    for _ in range(r.randint(1, 4)):
        proto = r.choice([None, "TCP", "UDP", "SCTP"])
        port = r.choice([80, 443, 8080, 53, 1, 65535, r.randint(1, 65535)])
        if (port, proto or "TCP") in used:
            continue
        used.add((port, proto or "TCP"))
        p = {"port": whole(r, port)}
        c = r.random()
        if c < 0.3:
            p["targetPort"] = r.randint(1, 65535)
        elif c < 0.5:
            p["target_port"] = r.randint(1, 65535)
        if r.random() < 0.6:
            name = dns_label(r, 15)
            if name in names:
                continue
            names.add(name)
            p["name"] = name
        if proto:
            p["protocol"] = proto
        ports.append(p)
    return ports


def instruction(r):
    return r.choice([
        "pip install --no-cache-dir -r requirements.txt",
        "apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*",
        "ENV PYTHONUNBUFFERED=1",
        "EXPOSE 8080",
        "USER 10001",
        "RUN make build",
        "LABEL org.opencontainers.image.title=task",
        "ARG VERSION=1.0",
        "CMD [\"python\", \"main.py\"]",
        "ENTRYPOINT [\"/app/run\"]",
        "echo 'hello world' > /shared/hello.txt",
    ])


def namespace_pool(seed):
    """A few namespaces per run (one kubectl batch each would be slow with thousands), the
    longest allowed among them."""
    r = random.Random(f"{seed}:namespaces")
    return ["default", "ml", "team-a"] + [dns_label(r, 63, 63)] + [dns_label(r, 12) for _ in range(4)]


def source(r, action):
    """function.source: a remote ref, or an inline file (job, serve, deploy); a build
    context URL (build)."""
    if action == "build":
        return r.choice(["git://github.com/acme/api.git#refs/heads/main", "https://example.com/ctx.tar.gz",
                         "s3://bucket/ctx.tar.gz", "gs://bucket/ctx.tar.gz"])
    if r.random() < 0.6:
        return r.choice(["git+https://github.com/acme/app", "git+https://github.com/acme/app#main",
                         "https://example.com/files/train.py", "zip+https://example.com/app.zip",
                         "s3://bucket/key/main.py", "zip+s3://bucket/app.zip", "hf://owner/repo"])
    src = {"source": r.choice(["main.py", "src/launch.sh", "a b.txt", "deep/er/path/x.py"])}
    if r.random() < 0.5:
        src["code"] = r.choice(["print('hi')\n", "", "#!/bin/sh\necho ünïcode\n", "x = 1\n" * 200])
    else:
        src["base64"] = r.choice(["cHJpbnQoJ2hpJyk=", "", "AAECAwQ="])
    if r.random() < 0.3:
        src["handler"] = r.choice(["main:handler", "handler"])
    if r.random() < 0.3:
        src["lang"] = r.choice(["python", "sh", "bash"])
    return src


def whole(r, n):
    """A whole number, sometimes written as a digit string (the platform accepts both)."""
    return str(n) if r.random() < 0.15 else n


def task(r, i, namespaces, action=None):
    action = action or r.choice(["job", "serve", "deploy", "build"])
    suffix = f"-{i}"
    base = dns_label(r, 63 - len(suffix))
    if action == "build" and len(base) > 40:
        base = base[:40].rstrip("-")
    if action == "serve" and not base[0].isalpha():
        base = "s" + base[1:]  # it names the Service too: a DNS-1035 label
    t = {"name": (base + suffix) if base[-1] != "-" else base + "x" + suffix, "action": action}
    if r.random() < 0.2:
        t = {"apiVersion": "taskrender.io/v1alpha1", "kind": "Task", **t}
    if r.random() < 0.5:
        t["project"] = label_value(r) or "p"
    if r.random() < 0.5:
        t["namespace"] = r.choice(namespaces)
    if r.random() < 0.3:
        t["profile"] = r.choice(["default", "hardened", "high-memory", "gpu-a100"])
    if r.random() < 0.3:
        t["labels"] = {qualified_name(r): label_value(r) for _ in range(r.randint(1, 3))}
    if r.random() < 0.3:
        t["annotations"] = {qualified_name(r): r.choice(["", "x", "a value with spaces", "ünïcode", "{\"json\": 1}", "y" * 2000])
                            for _ in range(r.randint(1, 3))}
    fn = {}
    if action != "build":
        fn["image"] = image(r)
        if r.random() < 0.5:
            fn["command"] = r.choice([["python", "-m", "app"], "sh -c 'echo hi'", ["/bin/run"], "python train.py --epochs 3"])
        if r.random() < 0.5:
            fn["args"] = [r.choice(["--port", "8080", "-v", "--name=x", "a b"]) for _ in range(r.randint(1, 4))]
        if r.random() < 0.3:
            fn["image_pull_policy"] = r.choice(["Always", "IfNotPresent", "Never"])
        if r.random() < 0.2:
            fn["source"] = source(r, action)
    else:
        c = r.random()
        if c < 0.4:
            fn["base_image"] = image(r)
        elif c < 0.7:
            t["base_image"] = image(r)
        else:
            fn["image"] = image(r)
        if r.random() < 0.4:
            fn["source"] = source(r, action)
        if r.random() < 0.8:
            t["instructions"] = [instruction(r) for _ in range(r.randint(1, 4))]
        if r.random() < 0.4:
            t["image"] = image(r)
        if r.random() < 0.3:
            t["registry_secret"] = dns_subdomain(r)
    t["function"] = fn
    if r.random() < 0.3:
        t["node_selector"] = [{"key": k, "value": label_value(r)} for k in {qualified_name(r) for _ in range(r.randint(1, 3))}]
    if action != "build" or r.random() < 0.3:
        vols = volumes(r)
        if vols:
            t["volumes"] = vols
    if r.random() < 0.5:
        res = resources(r, t.get("profile") == "hardened")
        if res:
            t["resources"] = res
    if r.random() < 0.3:
        t["affinity"] = affinity(r)
    if r.random() < 0.3:
        t["tolerations"] = [toleration(r) for _ in range(r.randint(1, 3))]
    if r.random() < 0.4:
        t["envs"] = [{"name": n, "value": r.choice(["1", "", "a b", "true", "x" * 100])}
                     for n in {env_name(r) for _ in range(r.randint(1, 4))}]
    if r.random() < 0.3:
        # Existing Secrets (DNS subdomains) and keys of the project's secret store.
        t["secrets"] = sorted({dns_subdomain(r) if r.random() < 0.5 else store_key(r)
                               for _ in range(r.randint(1, 3))})
        if any(not dns_subdomain_re(x) for x in t["secrets"]) and "project" not in t:
            t["project"] = word(r)  # the store is proj-secrets-<project>
    if action in ("job", "deploy") and r.random() < 0.3:
        t["fs_group"] = whole(r, r.choice([1, 1000, 65534, 2147483647]))
    if action != "build":
        if r.random() < 0.4:
            t["run_as_user"] = whole(r, r.choice([1, 1000, 10001, 65534, 2147483647]))
        if r.random() < 0.3:
            t["run_as_group"] = whole(r, r.choice([1, 1000, 2147483647]))
    if action in ("serve", "deploy") and r.random() < 0.5:
        t["replicas"] = whole(r, r.choice([0, 1, 3, 100, 2147483647]) if action == "serve" else r.choice([1, 3, 2147483647]))
    if action == "serve":
        t["service_ports"] = service_ports(r)
        if r.random() < 0.2:
            t["service_name"] = r.choice(LOWER) + (dns_label(r, 62) if r.random() < 0.8 else "")
        if r.random() < 0.5:
            st = r.choice(["ClusterIP", "NodePort", "LoadBalancer"])
            t["service_type"] = st
            if st != "ClusterIP":
                for p in t["service_ports"]:
                    if r.random() < 0.5:
                        p["nodePort"] = r.randint(30000, 32767)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("outdir")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    namespaces = namespace_pool(a.seed)
    for i in range(a.start, a.start + a.count):
        r = random.Random(f"{a.seed}:{i}")
        docs = [task(r, i, namespaces)]
        fn = docs[0].get("function", {})
        if docs[0]["action"] != "build" and r.random() < 0.05:
            # function.image_from: the image of a build Task of the same run (same file).
            build = task(r, i, namespaces, action="build")
            build["name"] = f"img-{i}"
            if "namespace" in docs[0]:
                build["namespace"] = docs[0]["namespace"]
            fn.pop("image", None)
            fn["image_from"] = build["name"]
            docs.append(build)
        # JSON is YAML: no quoting ambiguity.
        with open(os.path.join(a.outdir, f"task-{i:06d}.yaml"), "w", encoding="utf-8") as fh:
            fh.write(f"# random_tasks.py --seed {a.seed}, Task {i}\n")
            fh.write("---\n".join(json.dumps(d, ensure_ascii=False, indent=1) + "\n" for d in docs))

if __name__ == "__main__":
    main()
