#!/usr/bin/env python3
"""Random Tasks for the differential test (scripts/differential.sh): Tasks meant to be valid
(every action, every parameter, every volume type, the built-in profiles), with values drawn
towards the edges of what the schema allows (longest names, largest numbers, prefixed keys,
extended resources, every toleration and affinity shape), so that whatever `taskrender check`
accepts and the API server refuses shows up. Deterministic: the same --seed gives the same files.

usage: random_tasks.py [--seed S] [--count N] [--start K] OUTDIR
Writes OUTDIR/task-NNNNNN.yaml, one Task per file, names unique across the set.
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


def resources(r):
    res = {}
    limits, requests = {}, {}
    for kind in ("cpu", "memory", "ephemeral-storage"):
        if r.random() < 0.5:
            q = quantity(r, "storage" if kind == "ephemeral-storage" else kind)
            requests[kind] = q
            if r.random() < 0.5:
                limits[kind] = q
        elif r.random() < 0.3:
            limits[kind] = quantity(r, "storage" if kind == "ephemeral-storage" else kind)
    if r.random() < 0.2:
        ext = r.choice(["nvidia.com/gpu", "amd.com/gpu", "example.com/fpga"])
        n = quantity(r, "gpu")
        c = r.random()
        if c < 0.5:
            limits[ext] = n
        elif c < 0.8:
            limits[ext] = n
            requests[ext] = n
        else:
            requests[ext] = n  # request without limit
    if r.random() < 0.05:
        limits["hugepages-2Mi"] = r.choice(["2Mi", "4Mi", "100Mi"])
        requests.setdefault("memory", "128Mi")
        limits.setdefault("memory", requests["memory"])
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


def pod_affinity_term(r):
    t = {"topologyKey": r.choice(["kubernetes.io/hostname", "topology.kubernetes.io/zone", qualified_name(r)])}
    if r.random() < 0.9:
        t["labelSelector"] = label_selector(r)
    if r.random() < 0.2:
        t["namespaces"] = [dns_label(r) for _ in range(r.randint(1, 2))]
    return t


def affinity(r):
    a = {}
    if r.random() < 0.6:
        na = {}
        if r.random() < 0.6:
            na["requiredDuringSchedulingIgnoredDuringExecution"] = {
                "nodeSelectorTerms": [{"matchExpressions": [selector_requirement(r, True) for _ in range(r.randint(1, 2))]}
                                      for _ in range(r.randint(1, 2))]}
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
        p = {"port": port}
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


def task(r, i):
    action = r.choice(["job", "serve", "deploy", "build"])
    suffix = f"-{i}"
    base = dns_label(r, 63 - len(suffix))
    if action == "build" and len(base) > 40:
        base = base[:40].rstrip("-")
    t = {"name": (base + suffix) if base[-1] != "-" else base + "x" + suffix, "action": action}
    if r.random() < 0.5:
        t["project"] = label_value(r) or "p"
    if r.random() < 0.5:
        t["namespace"] = r.choice(["default", "ml", "team-a", dns_label(r)])
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
    else:
        c = r.random()
        if c < 0.4:
            fn["base_image"] = image(r)
        elif c < 0.7:
            t["base_image"] = image(r)
        else:
            fn["image"] = image(r)
        if r.random() < 0.4:
            fn["source"] = r.choice(["git://github.com/acme/api.git#refs/heads/main", "https://example.com/ctx.tar.gz",
                                     "s3://bucket/ctx.tar.gz", "gs://bucket/ctx.tar.gz"])
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
        res = resources(r)
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
        t["secrets"] = list({dns_subdomain(r) for _ in range(r.randint(1, 3))})
    if action in ("job", "deploy") and r.random() < 0.3:
        t["fs_group"] = r.choice([1, 1000, 65534, 2147483647])
    if action != "build":
        if r.random() < 0.4:
            t["run_as_user"] = r.choice([1, 1000, 10001, 65534, 2147483647])
        if r.random() < 0.3:
            t["run_as_group"] = r.choice([1, 1000, 2147483647])
    if action in ("serve", "deploy") and r.random() < 0.5:
        t["replicas"] = r.choice([0, 1, 3, 100, 2147483647]) if action == "serve" else r.choice([1, 3, 2147483647])
    if action == "serve":
        t["service_ports"] = service_ports(r)
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
    for i in range(a.start, a.start + a.count):
        r = random.Random(f"{a.seed}:{i}")
        t = task(r, i)
        # JSON is YAML: no quoting ambiguity, and each file stays one document.
        with open(os.path.join(a.outdir, f"task-{i:06d}.yaml"), "w", encoding="utf-8") as fh:
            fh.write(f"# random_tasks.py --seed {a.seed}, Task {i}\n")
            json.dump(t, fh, ensure_ascii=False, indent=1)
            fh.write("\n")


if __name__ == "__main__":
    main()
