#!/usr/bin/env python3
"""Compares `kubereach matrix` with NCA (network-config-analyzer) on randomly
generated clusters with Calico NetworkPolicies and GlobalNetworkPolicies.

Usage: scripts/compare/nca-calico.py [--seeds N] [--first SEED] [--keep DIR]

Needs `nca` on PATH (`pip install network-config-analyzer`) and a built
`kubereach` (target/debug/kubereach, or $KUBEREACH). Each seed writes one
cluster (namespaces, Deployments, Calico policies without tiers: NCA does
not read `tier`), runs `nca --connectivity --output_format txt_no_fw_rules`
and `kubereach matrix --format connlist`, normalises both to
`source => destination : connections` lines and prints the lines only one
side has. Exit code 1 when some seed differs. docs/compatibility.md lists
the differences that are deliberate.
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

LABELS = {"app": ["web", "api", "db"], "tier": ["front", "back"]}
PORTS = [80, 443, 5432, 8080]


def selector(rng):
    key = rng.choice(sorted(LABELS))
    value = rng.choice(LABELS[key])
    form = rng.choice(["==", "!=", "has", "in", "all"])
    if form == "all":
        return "all()"
    if form == "has":
        return f"has({key})"
    if form == "in":
        values = ", ".join(f"'{v}'" for v in sorted(set(rng.sample(LABELS[key], 2))))
        return f"{key} in {{{values}}}"
    return f"{key} {form} '{value}'"


# Calico labels every namespace `projectcalico.org/name`; NCA does not (see
# docs/compatibility.md), so `--namespace-label team` selects namespaces by
# a label of their own instead, to compare the rest.
NAMESPACE_LABEL = "projectcalico.org/name"


def rule(rng, namespaces):
    action = rng.choice(["Allow", "Allow", "Deny", "Pass"])
    text = [f"  - action: {action}"]
    if rng.random() < 0.6:
        text.append("    protocol: TCP")
        if rng.random() < 0.7:
            text.append(f"    destination: {{ports: [{rng.choice(PORTS)}]}}")
    peer = []
    if rng.random() < 0.7:
        peer.append(f'selector: "{selector(rng)}"')
    if rng.random() < 0.3:
        peer.append(f"namespaceSelector: \"{NAMESPACE_LABEL} == '{rng.choice(namespaces)}'\"")
    if peer:
        text.append("    source: {" + ", ".join(peer) + "}")
    return text


def cluster(rng):
    namespaces = ["a", "b"]
    docs = []
    for ns in namespaces:
        docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: {{team: {ns}}}}}")
        for index in range(rng.randint(2, 3)):
            labels = {key: rng.choice(values) for key, values in LABELS.items() if rng.random() < 0.8}
            labels.setdefault("app", "web")
            shown = ", ".join(f"{k}: {v}" for k, v in sorted(labels.items()))
            ports = ", ".join(f"{{containerPort: {p}}}" for p in rng.sample(PORTS, 2))
            docs.append(
                f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{index}, namespace: {ns}}}\n"
                f"spec:\n  selector: {{matchLabels: {{{shown}}}}}\n"
                f"  template:\n    metadata: {{labels: {{{shown}}}}}\n"
                f"    spec: {{containers: [{{name: c, image: x, ports: [{ports}]}}]}}"
            )
    for index in range(rng.randint(1, 3)):
        glob = rng.random() < 0.3
        head = (
            f"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: g{index}}}"
            if glob
            else f"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
            f"metadata: {{name: p{index}, namespace: {rng.choice(namespaces)}}}"
        )
        lines = [head, "spec:", f"  order: {rng.randint(1, 5) * 100}", f'  selector: "{selector(rng)}"',
                 "  types: [Ingress]", "  ingress:"]
        for _ in range(rng.randint(1, 3)):
            lines.extend(rule(rng, namespaces))
        docs.append("\n".join(lines))
    return "\n---\n".join(docs) + "\n"


PROTOCOLS = ("TCP", "UDP", "SCTP")


def port_set(text):
    """NCA's connection text as a set of (protocol, ports) over TCP, UDP and
    SCTP, the protocols kubereach models (ICMP and others are left out)."""
    text = text.strip()
    if text.lower() == "all connections":
        return {(p, "1-65535") for p in PROTOCOLS}
    if text.lower() == "no connections":
        return set()
    excluded = text.startswith("All but")
    found = set()
    for group in re.findall(r"\{([^}]*)\}", text):
        fields = dict(f.split(":", 1) for f in re.split(r",(?=[a-z_]+:)", group))
        for protocol in fields.get("protocols", ",".join(PROTOCOLS)).split(","):
            for ports in fields.get("dst_ports", "1-65535").split(","):
                found.add((protocol, ports))
    if excluded:
        named = {p for p, ports in found if ports == "1-65535"}
        return {(p, "1-65535") for p in PROTOCOLS if p not in named}
    return {(p, ports) for p, ports in found if p in PROTOCOLS}


def kubereach_set(text):
    """kubereach's connlist connections (`TCP 80,8080,UDP 53`) as the same set."""
    text = text.strip()
    if text.lower() in ("all connections", "no connections"):
        return port_set(text)
    found, protocol = set(), None
    for part in text.replace(", ", ",").split(","):
        words = part.split()
        if len(words) == 2:
            protocol, ports = words
        elif len(words) == 1 and protocol:
            ports = words[0]
        else:
            continue
        found.add((protocol, ports))
    return found


def normalise(lines, parse):
    pairs = {}
    for line in lines:
        match = re.match(r"^(\S+) => (\S+) : (.*)$", line.strip())
        if not match:
            continue
        source, destination, connections = match.groups()
        key = (source.replace("[External]", ""), destination.replace("[External]", ""))
        pairs.setdefault(key, set()).update(parse(connections))
    return {
        f"{s} => {d} : " + ",".join(f"{p} {ports}" for p, ports in sorted(c))
        for (s, d), c in pairs.items()
        if c
    }


def run(command):
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return result.stdout.splitlines()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--keep", help="write each cluster to DIR/seed-N.yaml")
    parser.add_argument("--namespace-label", default="projectcalico.org/name",
                        help="the namespace label rules select namespaces by (`team` to avoid the known difference)")
    args = parser.parse_args()
    global NAMESPACE_LABEL
    NAMESPACE_LABEL = args.namespace_label
    nca = shutil.which("nca")
    if not nca:
        sys.exit("nca not found: pip install network-config-analyzer")
    kubereach = os.environ.get("KUBEREACH", "target/debug/kubereach")
    differing = 0
    with tempfile.TemporaryDirectory() as work:
        for seed in range(args.first, args.first + args.seeds):
            path = os.path.join(args.keep or work, f"seed-{seed}.yaml")
            with open(path, "w", encoding="utf-8") as file:
                file.write(cluster(random.Random(seed)))
            theirs = normalise(run([nca, "--connectivity", "--resource_list", path,
                                    "--output_format", "txt_no_fw_rules"]), port_set)
            ours = normalise(run([kubereach, "matrix", "-f", path, "--cni", "calico", "--format", "connlist"]),
                             kubereach_set)
            if theirs == ours:
                print(f"seed {seed}: same ({len(ours)} lines)")
                continue
            differing += 1
            print(f"seed {seed}: differs ({path})")
            for line in sorted(theirs - ours):
                print(f"  only nca:       {line}")
            for line in sorted(ours - theirs):
                print(f"  only kubereach: {line}")
    print(f"{differing} of {args.seeds} seeds differ")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
