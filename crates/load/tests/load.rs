//! Loader-level tests: text and files in, a `Cluster` out, checked through
//! the model's API (what the CLI's inventory does not show: secrets, pod
//! readiness, owners, typed defaults, field lines).

use std::path::Path;

use kubereach_core::k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubereach_core::model::{PodOwner, Readiness, WorkloadKind};
use kubereach_core::{Cluster, ClusterBuilder, Severity};
use kubereach_load::{load, load_str, Input, LoadOptions};

fn cluster(text: &str) -> Cluster {
    let mut builder = ClusterBuilder::new();
    load_str(Some("test.yaml"), text, &mut builder);
    builder.build()
}

/// The diagnostics as `file:line: severity: message` strings.
fn diagnostics(cluster: &Cluster) -> Vec<String> {
    cluster.diagnostics().iter().map(ToString::to_string).collect()
}

fn errors(cluster: &Cluster) -> usize {
    cluster.diagnostics().iter().filter(|d| d.severity == Severity::Error).count()
}

#[test]
fn secret_values_are_dropped() {
    let cluster = cluster(
        "\
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: vault
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{\"stringData\":{\"password\":\"hunter2\"}}'
    team: platform
type: Opaque
data:
  password: aHVudGVyMg==
stringData:
  token: hunter2
",
    );
    assert_eq!(diagnostics(&cluster), Vec::<String>::new());
    let [secret] = cluster.secrets() else { panic!("one secret expected: {:?}", cluster.secrets()) };
    assert_eq!(secret.value.data, None);
    assert_eq!(secret.value.string_data, None);
    assert_eq!(secret.value.type_.as_deref(), Some("Opaque"));
    let annotations = secret.value.metadata.annotations.as_ref().unwrap();
    assert!(!annotations.contains_key("kubectl.kubernetes.io/last-applied-configuration"));
    assert_eq!(annotations.get("team").map(String::as_str), Some("platform"));
    assert!(!format!("{cluster:?}").contains("hunter2"));
    assert!(!format!("{cluster:?}").contains("aHVudGVyMg"));
}

#[test]
fn only_the_coredns_config_map_is_kept() {
    let cluster = cluster(
        "\
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:53 {
        kubernetes k8s.example.com. in-addr.arpa ip6.arpa {
        }
    }
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: other}
data: {Corefile: 'kubernetes wrong.example'}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: kube-system}
data: {a: b}
",
    );
    assert_eq!(cluster.cluster_domain(), "k8s.example.com");
    let coredns = cluster.coredns_config().expect("the CoreDNS ConfigMap is kept");
    assert_eq!(coredns.origin.line, 1);
    assert_eq!(cluster.skipped_kinds().get("ConfigMap"), Some(&2));
}

#[test]
fn pod_readiness_and_addresses_from_a_dump() {
    let cluster = cluster(
        "\
apiVersion: v1
kind: PodList
items:
- metadata: {name: ready, namespace: ns}
  spec: {containers: [{name: c}]}
  status:
    phase: Running
    podIP: 10.0.0.1
    podIPs: [{ip: 10.0.0.1}, {ip: 'fd00::1'}]
    conditions: [{type: Ready, status: 'True'}]
- metadata: {name: not-ready, namespace: ns}
  spec: {containers: [{name: c}]}
  status:
    phase: Running
    podIP: 10.0.0.2
    conditions: [{type: Ready, status: 'False'}]
- metadata: {name: done, namespace: ns}
  spec: {containers: [{name: c}]}
  status: {phase: Succeeded, conditions: [{type: Ready, status: 'True'}]}
- metadata: {name: manifest, namespace: ns}
  spec: {containers: [{name: c}]}
",
    );
    assert_eq!(diagnostics(&cluster), Vec::<String>::new());
    let pod = |name: &str| cluster.pods().iter().find(|p| p.name == name).unwrap();
    assert_eq!(pod("ready").readiness(), Readiness::Ready);
    assert_eq!(pod("ready").ips(), ["10.0.0.1", "fd00::1"]);
    assert_eq!(pod("not-ready").readiness(), Readiness::NotReady);
    assert_eq!(pod("not-ready").ips(), ["10.0.0.2"]);
    assert_eq!(pod("done").readiness(), Readiness::NotReady);
    assert_eq!(pod("manifest").readiness(), Readiness::Unknown);
    assert!(pod("manifest").ips().is_empty());
    // Items of a typed list take their kind from it, and their line from their own entry.
    assert_eq!(pod("ready").origin.line, 4);
    assert_eq!(pod("manifest").origin.line, 20);
}

const OWNERSHIP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, ports: [{containerPort: 80, name: http}]}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-abc
  namespace: ns
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u1}]
spec:
  selector: {matchLabels: {app: web, pod-template-hash: abc}}
  template:
    metadata: {labels: {app: web, pod-template-hash: abc}}
    spec: {containers: [{name: web}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-abc-1
  namespace: ns
  labels: {app: web, pod-template-hash: abc}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, uid: u2}]
spec: {containers: [{name: web}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ns}
spec:
  schedule: '@daily'
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: nightly}}
        spec: {containers: [{name: n}], restartPolicy: Never}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: nightly-1
  namespace: ns
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: nightly, uid: u3}]
spec:
  template:
    metadata: {labels: {app: nightly}}
    spec: {containers: [{name: n}], restartPolicy: Never}
---
apiVersion: v1
kind: Pod
metadata:
  name: nightly-1-x
  namespace: ns
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: nightly-1, uid: u4}]
spec: {containers: [{name: n}], restartPolicy: Never}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ns}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a}]}
---
apiVersion: v1
kind: Pod
metadata: {name: agent-by-labels, namespace: ns, labels: {app: agent}}
spec: {containers: [{name: a}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: orphan
  namespace: ns
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: gone, uid: u5}]
spec: {containers: [{name: o}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ns}
spec:
  replicas: 5
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db}]}
";

#[test]
fn pods_belong_to_their_top_level_workload() {
    let cluster = cluster(OWNERSHIP);
    assert_eq!(diagnostics(&cluster), Vec::<String>::new());
    let pod = |name: &str| {
        cluster.pods().iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no pod {name}"))
    };
    let owner = |name: &str| match &pod(name).owner {
        Some(PodOwner::Workload(id)) => {
            let w = cluster.workload(*id);
            (w.kind, w.name.clone())
        }
        other => panic!("{name}: owner {other:?}"),
    };
    assert_eq!(owner("web-abc-1"), (WorkloadKind::Deployment, "web".to_owned()));
    assert_eq!(owner("nightly-1-x"), (WorkloadKind::CronJob, "nightly".to_owned()));
    assert_eq!(owner("agent-by-labels"), (WorkloadKind::DaemonSet, "agent".to_owned()));
    assert_eq!(
        pod("orphan").owner,
        Some(PodOwner::Unresolved { kind: "StatefulSet".to_owned(), name: "gone".to_owned() })
    );
    let orphan_ref = cluster.workload_ref(pod("orphan"));
    assert_eq!((orphan_ref.kind.as_str(), orphan_ref.id().as_str()), ("StatefulSet", "ns/gone"));

    // The ReplicaSet and the Job are linked to their owners.
    let web_rs = cluster.workloads().iter().find(|w| w.name == "web-abc").unwrap();
    assert_eq!(cluster.workload(web_rs.owner.unwrap()).name, "web");
    let job = cluster.workloads().iter().find(|w| w.name == "nightly-1").unwrap();
    assert_eq!(cluster.workload(job.owner.unwrap()).name, "nightly");

    // Only the StatefulSet has no pod in the input: it gets a representative.
    let representatives: Vec<(&str, u32)> = cluster
        .pods()
        .iter()
        .filter(|p| p.is_representative())
        .map(|p| (p.name.as_str(), p.replicas))
        .collect();
    assert_eq!(representatives, [("db", 5)]);
    let db = pod("db");
    assert_eq!(db.labels.get("app").map(String::as_str), Some("db"));
    assert_eq!(cluster.workload_ref(db).id(), "ns/db");
    assert_eq!(db.origin.line, cluster.workloads().iter().find(|w| w.name == "db").unwrap().origin.line);
    // Real pods stand for one pod each.
    assert_eq!(pod("web-abc-1").replicas, 1);
    assert_eq!(cluster.pods_in("ns").len(), cluster.pods().len());
}

#[test]
fn pod_spec_defaults() {
    let cluster = cluster(
        "\
apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers:
  - name: c
    ports: [{containerPort: 53, protocol: UDP, name: dns}, {containerPort: 8080, name: http}]
  initContainers:
  - name: sidecar
    restartPolicy: Always
    ports: [{containerPort: 9090}]
  - name: init
    ports: [{containerPort: 1234}]
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec:
  dnsPolicy: Default
  containers: [{name: c}]
",
    );
    let a = cluster.pods().iter().find(|p| p.name == "a").unwrap();
    assert_eq!(a.namespace, "default");
    assert_eq!(a.spec.dns_policy.as_deref(), Some("ClusterFirst"));
    let ports: Vec<(i32, String, String)> =
        a.container_ports().map(|p| (p.port, p.protocol, p.container)).collect();
    // Sidecars (init containers that keep running) count; plain init containers do not.
    let expected = [(53, "UDP", "c"), (8080, "TCP", "c"), (9090, "TCP", "sidecar")];
    let expected: Vec<(i32, String, String)> =
        expected.iter().map(|(p, proto, c)| (*p, (*proto).to_owned(), (*c).to_owned())).collect();
    assert_eq!(ports, expected);
    assert_eq!(a.named_port("http", "TCP"), Some(8080));
    assert_eq!(a.named_port("dns", "TCP"), None);
    let b = cluster.pods().iter().find(|p| p.name == "b").unwrap();
    assert_eq!(b.spec.dns_policy.as_deref(), Some("Default"));
}

#[test]
fn service_and_policy_defaults_are_typed() {
    let cluster = cluster(
        "\
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports: [{port: 80}, {port: 53, protocol: UDP, targetPort: dns}]
---
apiVersion: v1
kind: Service
metadata: {name: e}
spec:
  type: ExternalName
  externalName: example.com
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80}, {port: 53, protocol: UDP}]}]
  egress: [{ports: [{port: 443}]}]
",
    );
    let service = cluster.service("default", "s").unwrap();
    let spec = service.value.spec.as_ref().unwrap();
    assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
    let ports = spec.ports.as_ref().unwrap();
    assert_eq!(ports[0].protocol.as_deref(), Some("TCP"));
    assert_eq!(ports[0].target_port, Some(IntOrString::Int(80)));
    assert_eq!(ports[1].protocol.as_deref(), Some("UDP"));
    assert_eq!(ports[1].target_port, Some(IntOrString::String("dns".to_owned())));
    // ExternalName Services have no endpoints: their ports are left alone.
    let external = cluster.service("default", "e").unwrap();
    assert_eq!(external.value.spec.as_ref().unwrap().ports.as_ref().unwrap()[0].target_port, None);

    let [policy] = cluster.network_policies() else { panic!() };
    let spec = policy.value.spec.as_ref().unwrap();
    assert_eq!(spec.policy_types.as_deref(), Some(&["Ingress".to_owned(), "Egress".to_owned()][..]));
    let protocols: Vec<&str> = spec
        .ingress
        .iter()
        .flatten()
        .flat_map(|r| r.ports.iter().flatten())
        .map(|p| p.protocol.as_deref().unwrap())
        .collect();
    assert_eq!(protocols, ["TCP", "UDP"]);
    let egress = &spec.egress.as_ref().unwrap()[0];
    assert_eq!(egress.ports.as_ref().unwrap()[0].protocol.as_deref(), Some("TCP"));
}

#[test]
fn field_lines_point_into_the_document() {
    let cluster = cluster(
        "\
# a comment
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: http
",
    );
    let service = cluster.service("default", "web").unwrap();
    assert_eq!(service.origin.file.as_deref(), Some("test.yaml"));
    assert_eq!(service.origin.line, 3);
    assert_eq!(service.origin.line_of("metadata.name"), 6);
    assert_eq!(service.origin.line_of("spec.ports[0]"), 11);
    assert_eq!(service.origin.line_of("spec.ports[0].targetPort"), 13);
    assert_eq!(service.origin.field_location("spec.ports[0].targetPort").to_string(), "test.yaml:13");
}

#[test]
fn field_lines_inside_list_items() {
    let cluster = cluster(
        "\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a}
  spec:
    ports:
    - port: 80
- apiVersion: v1
  kind: Service
  metadata:
    name: b
  spec:
    ports:
    - port: 81
      targetPort: 8081
",
    );
    let b = cluster.service("default", "b").unwrap();
    assert_eq!(b.origin.line, 10);
    assert_eq!(b.origin.line_of("metadata.name"), 13);
    assert_eq!(b.origin.line_of("spec.ports[0].targetPort"), 17);
    assert_eq!(cluster.service("default", "a").unwrap().origin.line, 4);
}

#[test]
fn duplicates_last_wins() {
    let cluster = cluster(
        "\
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{port: 81}]}
",
    );
    let [service] = cluster.services() else { panic!("{:?}", cluster.services()) };
    assert_eq!(service.value.spec.as_ref().unwrap().ports.as_ref().unwrap()[0].port, 81);
    assert_eq!(
        diagnostics(&cluster),
        ["test.yaml:6: warning: duplicate Service `default/web`: this definition replaces the one at test.yaml:1"]
    );
}

#[test]
fn implicit_namespaces_come_from_every_namespaced_kind() {
    let cluster = cluster(
        "\
apiVersion: v1
kind: Endpoints
metadata: {name: e, namespace: from-endpoints}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s, namespace: from-slices}
addressType: IPv4
endpoints: []
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: from-secrets}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i, namespace: from-ingresses}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: from-policies}
spec: {podSelector: {}}
---
apiVersion: v1
kind: Node
metadata: {name: node-1, namespace: ignored}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
",
    );
    assert_eq!(errors(&cluster), 0, "{:?}", diagnostics(&cluster));
    let names: Vec<&str> = cluster.namespaces().keys().map(String::as_str).collect();
    assert_eq!(names, ["from-endpoints", "from-ingresses", "from-policies", "from-secrets", "from-slices"]);
    for ns in cluster.namespaces().values() {
        assert_eq!(ns.origin, None);
        assert_eq!(ns.labels.get("kubernetes.io/metadata.name"), Some(&ns.name));
    }
    // Cluster-scoped objects lose a namespace given by mistake.
    assert_eq!(cluster.nodes()[0].value.metadata.namespace, None);
    assert_eq!(cluster.endpoints().len(), 1);
    assert_eq!(cluster.endpoint_slices().len(), 1);
    assert_eq!(cluster.ingress_classes().len(), 1);
}

#[test]
fn removed_api_versions_are_read_with_a_note() {
    let cluster = cluster(
        "\
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: old}
spec:
  selector: {matchLabels: {app: old}}
  template:
    metadata: {labels: {app: old}}
    spec: {containers: [{name: c}]}
---
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: old-cron}
spec:
  schedule: '@hourly'
  jobTemplate: {spec: {template: {spec: {containers: [{name: c}]}}}}
---
apiVersion: extensions/v1beta1
kind: NetworkPolicy
metadata: {name: old-policy}
spec: {podSelector: {}}
",
    );
    assert_eq!(errors(&cluster), 0, "{:?}", diagnostics(&cluster));
    assert_eq!(cluster.diagnostics().iter().filter(|d| d.severity == Severity::Note).count(), 3);
    assert_eq!(cluster.workloads().len(), 2);
    assert_eq!(cluster.network_policies().len(), 1);
}

#[test]
fn directories_are_read_recursively_and_sorted() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cluster");
    let cluster = load(&[Input::Path(dir.clone())], &LoadOptions::new());
    assert_eq!(diagnostics(&cluster), Vec::<String>::new());
    let apps = cluster.namespace("apps").unwrap();
    assert_eq!(apps.labels.get("tier").map(String::as_str), Some("apps"));
    assert!(apps.origin.as_ref().unwrap().file.as_deref().unwrap().ends_with("namespaces.yaml"));
    let web = cluster.service("apps", "web").unwrap();
    assert!(web.origin.file.as_deref().unwrap().ends_with("apps/web.yaml"));
    assert_eq!(web.origin.line, 21);
    let [policy] = cluster.network_policies() else { panic!() };
    assert!(policy.origin.file.as_deref().unwrap().ends_with("apps/policy.json"));
    assert_eq!(policy.origin.line_of("spec.ingress"), 7);
    assert_eq!(cluster.pods().len(), 1);
}

#[test]
fn max_file_size_is_enforced() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cluster");
    let options =
        LoadOptions { cluster_domain: Some("corp.".to_owned()), max_file_size: 100, progress: false };
    let cluster = load(&[Input::Path(dir)], &options);
    // namespaces.yaml is under 100 bytes; the other two are over.
    let messages: Vec<&str> = cluster.diagnostics().iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages.iter().all(|m| m.contains("larger than the limit")), "{messages:?}");
    assert!(cluster.namespace("apps").unwrap().origin.is_some());
    assert_eq!(cluster.cluster_domain(), "corp");
}

/// Tabs are separation space inside flow collections, even at the start of
/// a line; Go's YAML library (kubectl, netpol-analyzer) accepts this, see the
/// peer case `acs-security-demos-added-workloads`.
#[test]
fn tab_inside_a_flow_sequence_is_whitespace() {
    let cluster = cluster(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    args:\n      [\n        \"-a\",\n\t        \"-b\",\n      ]\n",
    );
    assert_eq!(diagnostics(&cluster), Vec::<String>::new());
    let pod = &cluster.pods()[0];
    assert_eq!(pod.spec.containers[0].args.as_deref(), Some(&["-a".to_owned(), "-b".to_owned()][..]));
}

/// Inputs that once crashed or could crash a YAML loader: none may panic.
#[test]
fn odd_inputs_do_not_panic() {
    let long_line = "a".repeat(100_000);
    let many_documents = "---\n".repeat(10_000);
    let inputs: Vec<&str> = vec![
        "",
        "\u{feff}",
        "---",
        "...",
        "--- ...",
        "\0",
        "\r",
        "\r\n\r\n",
        "- -",
        "{",
        "}",
        "[",
        "]",
        ":",
        "? ",
        "? [a]\n: b",
        "&a [*a]",
        "a: &a\n  b: *a",
        "*unknown",
        "<<: *x",
        "<<: [1, 2]",
        "<<: 3",
        "a: !!binary aGk=",
        "!!str",
        "!<tag:yaml.org,2002:map> {}",
        "%YAML 1.2\n---\na: b",
        "%TAG ! tag:example.com,2000:\n--- !foo {}",
        "kind: List\nitems: 3",
        "kind: List\nitems: [1, null, [], {kind: List, items: [{kind: List}]}]",
        "kind: PodList\napiVersion: v1\nitems: [{}]",
        "kind: List\nitems:\n- kind: PodList\n  items: [{metadata: {name: x}}]",
        "kind: Pod\napiVersion: v1\nmetadata: {name: \"\"}",
        "kind: Pod\napiVersion: v1\nmetadata: {name: p, namespace: []}",
        "kind: Pod\napiVersion: v1\nmetadata: {name: p, ownerReferences: [{kind: ReplicaSet, name: p}]}",
        "kind: ReplicaSet\napiVersion: apps/v1\nmetadata: {name: r, ownerReferences: [{kind: ReplicaSet, name: r, apiVersion: apps/v1, uid: u}]}\nspec: {selector: {}}",
        "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: d}\nspec: {replicas: -5, selector: {}, template: {}}",
        "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: d}\nspec: {replicas: 99999999999}",
        "kind: Service\napiVersion: v1\nmetadata: {name: s}\nspec: {ports: [{port: 1e400}]}",
        "kind: Service\napiVersion: v1\nmetadata: {name: s}\nspec: {ports: [{port: -1, targetPort: -1}], type: ''}",
        "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: n}\nspec: null",
        "kind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata: {name: i}\nspec: {rules: [{http: {paths: [{}]}}]}",
        "kind: ConfigMap\napiVersion: v1\nmetadata: {name: coredns, namespace: kube-system}\ndata: {Corefile: \"kubernetes\"}",
        "kind: ConfigMap\napiVersion: v1\nmetadata: {name: coredns, namespace: kube-system}\ndata: {Corefile: \"kubernetes {\\nkubernetes .\"}",
        "kind: Namespace\napiVersion: v1\nmetadata: {name: n, labels: {kubernetes.io/metadata.name: other}}",
        "kind: AdminNetworkPolicy\napiVersion: policy.networking.k8s.io/v1alpha1\nmetadata: {name: a}",
        "kind: BaselineAdminNetworkPolicy\napiVersion: policy.networking.k8s.io/v1alpha1\nmetadata: {name: default}\nspec: {subject: {namespaces: {}}}",
        "\"unterminated",
        "'unterminated",
        "a: |\n  b\n c",
        "a: >-\n\n\n",
        "a:\tb",
        "\ta: b",
        "a: b\n\t- c",
        &long_line,
        &many_documents,
    ];
    for input in inputs {
        let mut builder = ClusterBuilder::new();
        load_str(Some("odd.yaml"), input, &mut builder);
        let cluster = builder.build();
        let inventory = kubereach_core::inventory::inventory(&cluster);
        serde_json::to_string(&inventory).unwrap();
        for diagnostic in cluster.diagnostics() {
            assert!(!diagnostic.message.is_empty(), "{input:?}");
            let _ = diagnostic.to_string();
        }
    }
}

#[test]
fn an_unclosed_bracket_at_the_end_points_at_the_last_line() {
    let cluster = cluster("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a,\n");
    let found = diagnostics(&cluster);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("test.yaml:4: error: "), "{found:?}");
}
