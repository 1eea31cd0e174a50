//! The same clusters through `trace`, `matrix`, `dns` and `check`: every
//! command answers a semantic question from the one layer that owns it, so
//! they must agree (whether a pod reaches cluster DNS, whether an ipBlock
//! matches pod addresses, whether the plugin enforces policies at all).

use super::util::{Run, TestDir};

/// Cluster DNS as kubeadm installs it, with the pod's address in its status.
const DNS: &str = "\
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec:
  clusterIP: 10.96.0.10
  selector: {k8s-app: kube-dns}
  ports:
    - {name: dns, port: 53, protocol: UDP, targetPort: 53}
    - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns-0, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  containers:
    - name: coredns
      image: registry.k8s.io/coredns/coredns:v1.11.3
      ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53, protocol: TCP}]
status:
  phase: Running
  podIP: 10.244.0.3
  podIPs: [{ip: 10.244.0.3}]
  conditions: [{type: Ready, status: 'True'}]
";

/// A client whose egress allows port 53 only to `ipBlock 0.0.0.0/0`, and a
/// web Service it calls by name: the example of the NetworkPolicy docs'
/// "ipBlock … should be cluster-external IPs"
/// (https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors),
/// which the plugins read differently.
const APP: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: app, labels: {app: client}}
spec: {containers: [{name: client, image: client}]}
status: {phase: Running, podIP: 10.244.1.5, podIPs: [{ip: 10.244.1.5}], conditions: [{type: Ready, status: 'True'}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {containers: [{name: web, image: web, ports: [{name: http, containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.244.1.6, podIPs: [{ip: 10.244.1.6}], conditions: [{type: Ready, status: 'True'}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec:
  clusterIP: 10.96.5.5
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-egress, namespace: app}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
    - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
      ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
    - to: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 8080}]
";

/// A default-deny egress policy for the client: no rule at all.
const DENY_ALL_EGRESS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: app, labels: {app: client}}
spec: {containers: [{name: client, image: client}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {containers: [{name: web, image: web, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-egress, namespace: app}
spec:
  podSelector: {}
  policyTypes: [Egress]
";

/// A plugin's DaemonSet, as its installer names it.
fn plugin(name: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: {name}, namespace: kube-system}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{containers: [{{name: {name}, image: '{image}'}}]}}
"
    )
}

/// What each command says about the client reaching cluster DNS.
#[derive(Debug, PartialEq, Eq)]
struct Answers {
    trace: bool,
    dns: bool,
    check: bool,
    matrix: bool,
}

impl Answers {
    fn all(reaches: bool) -> Answers {
        Answers { trace: reaches, dns: reaches, check: reaches, matrix: reaches }
    }
}

/// Runs the four commands on `files` with `flags` and reads their verdicts
/// on "can `app/client` reach cluster DNS?".
fn answers(files: &[(&str, &str)], flags: &[&str]) -> Answers {
    let dir = TestDir::new();
    for (name, text) in files {
        dir.write(name, text);
    }
    let run = |args: &[&str]| -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend_from_slice(&["-f", "."]);
        all.extend_from_slice(flags);
        dir.run(&all)
    };
    let trace = run(&["trace", "app/client", "http://web.app/", "--format", "json"]);
    trace.assert_no_panic();
    let trace_json = trace.json();
    let dns_step = trace_json["steps"].as_array().unwrap().iter().find(|s| s["layer"] == "dns").unwrap();

    let dns = run(&["dns", "web.app", "--from", "app/client", "--format", "json"]);
    assert!(matches!(dns.code, Some(0 | 1)), "{dns}");

    let check = run(&["check", "--format", "json"]);
    let findings = check.json()["findings"].as_array().unwrap().clone();
    let kr306 = findings.iter().any(|f| f["code"] == "KR306");

    let matrix = run(&["matrix", "--pods", "--format", "json"]);
    let matrix_json = matrix.json();
    let udp_53 = matrix_json["edges"].as_array().unwrap().iter().any(|edge| {
        edge["from"] == "app/client"
            && edge["to"] == "kube-system/coredns-0"
            && edge["ports"].as_array().unwrap().iter().any(|p| {
                p["protocol"] == "UDP" && p["from"].as_u64() <= Some(53) && p["to"].as_u64() >= Some(53)
            })
    });
    Answers { trace: dns_step["status"] != "fail", dns: dns.code == Some(0), check: !kr306, matrix: udp_53 }
}

// The example: port 53 allowed only to `ipBlock 0.0.0.0/0`. With no
// plugin known, ipBlocks match addresses outside the cluster only (the docs'
// reading), so DNS is blocked; every command says so.
#[test]
fn ip_block_to_everything_on_port_53_without_a_known_plugin() {
    assert_eq!(answers(&[("dns.yaml", DNS), ("app.yaml", APP)], &[]), Answers::all(false));
}

// Calico matches pod addresses with ipBlocks (projectcalico/calico#6634):
// the rule allows the DNS pod, for every command alike, whether Calico is
// detected from its DaemonSet or named with `--cni`.
#[test]
fn ip_block_to_everything_on_port_53_on_calico() {
    let calico = plugin("calico-node", "docker.io/calico/node:v3.29.1");
    let detected = [("dns.yaml", DNS), ("app.yaml", APP), ("calico.yaml", calico.as_str())];
    assert_eq!(answers(&detected, &[]), Answers::all(true));
    assert_eq!(answers(&[("dns.yaml", DNS), ("app.yaml", APP)], &["--cni", "calico"]), Answers::all(true));
    // The flag overrides the plugin's behaviour, for every command.
    assert_eq!(answers(&detected, &["--ip-blocks-match-pods=false"]), Answers::all(false));
}

// Cilium's CIDR rules never match pods (cilium/cilium#9209): blocked, even
// when the user does not say so.
#[test]
fn ip_block_to_everything_on_port_53_on_cilium() {
    let cilium = plugin("cilium", "quay.io/cilium/cilium:v1.16.3");
    let files = [("dns.yaml", DNS), ("app.yaml", APP), ("cilium.yaml", cilium.as_str())];
    assert_eq!(answers(&files, &[]), Answers::all(false));
    assert_eq!(answers(&files, &["--ip-blocks-match-pods"]), Answers::all(true));
}

// Flannel alone enforces no NetworkPolicy
// (https://github.com/flannel-io/flannel#networking-details): the lookup
// works whatever the policies say. `trace` warns at `cni`, `check` stays
// silent on DNS, `matrix` shows the effective connectivity.
#[test]
fn flannel_enforces_nothing() {
    let flannel = plugin("kube-flannel-ds", "docker.io/flannel/flannel:v0.25.1");
    let files = [("dns.yaml", DNS), ("app.yaml", DENY_ALL_EGRESS), ("flannel.yaml", flannel.as_str())];
    assert_eq!(answers(&files, &[]), Answers::all(true));
    // Named with `--cni`, the same.
    assert_eq!(
        answers(&[("dns.yaml", DNS), ("app.yaml", DENY_ALL_EGRESS)], &["--cni", "flannel"]),
        Answers::all(true)
    );
}

// Under a default-deny egress policy the pod's lookups time out: `dns`
// says so and exits 1, as `trace` blocks at `dns` and KR306 fires.
#[test]
fn default_deny_egress_blocks_dns_everywhere() {
    assert_eq!(answers(&[("dns.yaml", DNS), ("app.yaml", DENY_ALL_EGRESS)], &[]), Answers::all(false));
    // Without the DNS objects in the input, the DNS pods are assumed to be
    // kubeadm's, and judged the same way by every command but `matrix`,
    // which has no such pod to show.
    let answers = answers(&[("app.yaml", DENY_ALL_EGRESS)], &[]);
    assert_eq!((answers.trace, answers.dns, answers.check), (false, false, false));
}

// `egress: [{}]` allows everything: with no DNS objects in the input there
// is nothing to warn about (issue item 16).
#[test]
fn open_egress_needs_no_dns_warning() {
    let open = DENY_ALL_EGRESS.replace("policyTypes: [Egress]", "policyTypes: [Egress]\n  egress: [{}]");
    let dir = TestDir::new();
    dir.write("app.yaml", &open);
    let trace = dir.run(&["trace", "app/client", "http://web.app/", "-f", ".", "--format", "json"]);
    trace.assert_code(0);
    let json = trace.json();
    let dns = json["steps"].as_array().unwrap().iter().find(|s| s["layer"] == "dns").unwrap();
    assert_eq!(dns["status"], "pass", "{dns:#}");
    assert_eq!(dns["fix"], "", "{dns:#}");
    let out = dir.run(&["dns", "web.app", "--from", "app/client", "-f", "."]);
    out.assert_code(0);
    assert!(!out.stdout.contains("warning"), "{out}");
}

// On Flannel alone `matrix` shows the connectivity the cluster has (every
// pair open) and says why; `--as-written` shows the policies as written.
#[test]
fn flannel_matrix_is_effective_and_says_so() {
    let flannel = plugin("kube-flannel-ds", "docker.io/flannel/flannel:v0.25.1");
    let dir = TestDir::new();
    dir.write("dns.yaml", DNS).write("app.yaml", DENY_ALL_EGRESS).write("flannel.yaml", &flannel);
    let effective = dir.run(&["matrix", "--pods", "-f", "."]);
    effective.assert_code(0);
    assert!(effective.stdout.contains("client[Pod] → kube-system/coredns-0[Pod]"), "{effective}");
    assert!(
        effective.stdout.contains(
            "note: `flannel` does not enforce NetworkPolicy (1 in the input, without effect): this is the \
             connectivity the cluster has (`--as-written` shows the policies as written)"
        ),
        "{effective}"
    );
    let written = dir.run(&["matrix", "--pods", "-f", ".", "--as-written"]);
    written.assert_code(0);
    assert!(!written.stdout.contains("client[Pod] →"), "{written}");
    assert!(!written.stdout.contains("note:"), "{written}");
    let json = dir.run(&["matrix", "--pods", "-f", ".", "--format", "json"]);
    assert!(json.stderr.contains("note: `flannel` does not enforce NetworkPolicy"), "{json}");
}

/// Two workloads spread over nodes: a `hostNetwork` DaemonSet `agent` on
/// node-1 and node-2, a StatefulSet `web` on node-1 and node-3, a
/// StatefulSet `db` on node-3 alone, and a default-deny policy in `shop`.
const NODE_WORKLOADS: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: monitoring}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {hostNetwork: true, containers: [{name: agent, image: agent:1.0}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: shop}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1.0, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: db:1.0, ports: [{containerPort: 8080}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

/// A running pod of `owner` (`Kind/name`) on `node`.
fn owned_pod(
    namespace: &str,
    name: &str,
    owner: &str,
    app: &str,
    node: &str,
    ip: &str,
    host: bool,
) -> String {
    let (kind, owner_name) = owner.split_once('/').unwrap();
    let api = "apps/v1";
    format!(
        "---
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {namespace}
  labels: {{app: {app}}}
  ownerReferences: [{{apiVersion: {api}, kind: {kind}, name: {owner_name}, uid: u-{owner_name}, controller: true}}]
spec:
  nodeName: {node}
  hostNetwork: {host}
  containers: [{{name: {app}, image: '{app}:1.0', ports: [{{containerPort: 8080}}]}}]
status: {{phase: Running, podIP: {ip}, podIPs: [{{ip: {ip}}}], conditions: [{{type: Ready, status: 'True'}}]}}
"
    )
}

/// Node traffic is never blocked by policies
/// (https://kubernetes.io/docs/concepts/services-networking/network-policies/:
/// "traffic to and from the node where a Pod is running is always allowed").
/// At workload granularity a `matrix` edge stands for all the pods of both
/// ends: it is there exactly when `trace` from some pod of the source finds
/// the destination workload reachable (here through the pods that share a
/// node with a `hostNetwork` pod, the others being denied).
#[test]
fn node_traffic_per_workload_agrees_with_trace() {
    let dir = TestDir::new();
    let mut cluster = NODE_WORKLOADS.to_owned();
    for (namespace, name, owner, app, node, ip, host) in [
        ("monitoring", "agent-a", "DaemonSet/agent", "agent", "node-1", "10.0.0.1", true),
        ("monitoring", "agent-b", "DaemonSet/agent", "agent", "node-2", "10.0.0.2", true),
        ("shop", "web-0", "StatefulSet/web", "web", "node-1", "10.244.1.5", false),
        ("shop", "web-1", "StatefulSet/web", "web", "node-3", "10.244.3.5", false),
        ("shop", "db-0", "StatefulSet/db", "db", "node-3", "10.244.3.6", false),
    ] {
        cluster.push_str(&owned_pod(namespace, name, owner, app, node, ip, host));
    }
    dir.write("cluster.yaml", cluster);
    let matrix = dir.run(&["matrix", "-f", ".", "--format", "json"]);
    matrix.assert_code(0);
    let json = matrix.json();
    let edge = |from: &str, to: &str| {
        json["edges"].as_array().unwrap().iter().any(|e| e["from"] == from && e["to"] == to)
    };
    let cases: [(&str, &[&str], &str, bool); 4] = [
        ("monitoring/agent", &["monitoring/agent-a", "monitoring/agent-b"], "shop/web", true),
        ("monitoring/agent", &["monitoring/agent-a", "monitoring/agent-b"], "shop/db", false),
        ("shop/web", &["shop/web-0", "shop/web-1"], "monitoring/agent", true),
        ("shop/db", &["shop/db-0"], "monitoring/agent", false),
    ];
    for (from, pods, to, allowed) in cases {
        assert_eq!(edge(from, to), allowed, "matrix {from} → {to}:\n{json}");
        let reached: Vec<&str> = pods
            .iter()
            .copied()
            .filter(|pod| dir.run(&["trace", pod, &format!("{to}:8080"), "-f", "."]).code == Some(0))
            .collect();
        assert_eq!(!reached.is_empty(), allowed, "trace from the pods of {from} → {to}: {reached:?}");
    }
}
