//! Reading a live cluster through kube-rs: a small HTTP/1.1 server on the
//! loopback interface (plain or TLS) answers the list requests with
//! `kubectl get -o json` style fixtures.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use kubereach_core::matrix::{self, Filters, Granularity, MatrixOptions};
use kubereach_core::model::Readiness;
use kubereach_core::policy::{PolicyEngine, PolicyOptions};
use kubereach_core::{Cluster, ClusterBuilder, Severity};
use kubereach_load::{load, load_live, read_live, Input, LiveOptions, LiveSource, LoadOptions};

#[path = "support/fake_api.rs"]
mod fake_api;
use fake_api::{Behaviour, FakeApi, Flaky, Seen, Tls, User};

const METADATA_ONLY: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read_fixture(name: &str) -> Option<Value> {
    fake_api::read_fixture(&fixtures().join("live"), name)
}

struct FakeServer {
    api: FakeApi,
    url: String,
}

impl FakeServer {
    fn start(behaviour: Behaviour) -> FakeServer {
        let api = FakeApi::start(&fixtures(), behaviour, Tls::None);
        FakeServer { url: api.url.clone(), api }
    }

    fn seen(&self) -> Vec<Seen> {
        self.api.seen()
    }

    fn source(&self) -> LiveSource {
        LiveSource::Server { url: format!("{}/", self.url), token: Some("s3cr3t".into()) }
    }
}

fn options() -> LiveOptions {
    LiveOptions { timeout: Duration::from_secs(10), ..LiveOptions::default() }
}

fn live(source: &LiveSource, options: &LiveOptions) -> Cluster {
    let mut builder = ClusterBuilder::new();
    load_live(source, options, &mut builder);
    builder.build()
}

fn diagnostics(cluster: &Cluster) -> Vec<String> {
    cluster.diagnostics().iter().map(ToString::to_string).collect()
}

fn pod_readiness(cluster: &Cluster) -> Vec<(String, Readiness)> {
    cluster
        .pods()
        .iter()
        .filter(|p| p.template_of.is_none())
        .map(|p| (p.name.clone(), p.readiness()))
        .collect()
}

#[test]
fn every_kind_is_listed_page_by_page() {
    let server = FakeServer::start(Behaviour::default());
    let cluster = live(&server.source(), &options());
    // The AdminNetworkPolicy CRDs are absent (404): no diagnostic.
    assert_eq!(diagnostics(&cluster), Vec::<String>::new());

    let workloads: BTreeSet<String> =
        cluster.workloads().iter().map(|w| format!("{:?} {}/{}", w.kind, w.namespace, w.name)).collect();
    for expected in [
        "Deployment shop/web",
        "Deployment shop/worker",
        "StatefulSet shop/db",
        "ReplicaSet shop/web-7d9f8b6c5",
    ] {
        assert!(workloads.contains(expected), "{expected} missing from {workloads:?}");
    }
    assert_eq!(
        pod_readiness(&cluster),
        [
            ("coredns-5d78c9869d-q8x2m".to_owned(), Readiness::NotReady),
            ("db-0".to_owned(), Readiness::Ready),
            ("web-7d9f8b6c5-abcde".to_owned(), Readiness::Ready),
            ("web-7d9f8b6c5-fghij".to_owned(), Readiness::NotReady),
        ]
    );
    assert_eq!(cluster.endpoint_slices().len(), 1);
    assert_eq!(cluster.network_policies().len(), 1);
    // The plugins' own policies are listed too (Calico's API group and
    // Cilium's clusterwide kind are absent here: 404, no diagnostic).
    let native: Vec<&str> =
        cluster.cilium_policies().iter().map(|p| p.origin.file.as_deref().unwrap_or("")).collect();
    assert_eq!(native, [format!("{}/apis/cilium.io/v2/ciliumnetworkpolicies", server.url)]);
    assert!(cluster.calico_objects().is_empty());
    assert_eq!(cluster.nodes().len(), 1);
    assert!(cluster.coredns_config().is_some());
    assert_eq!(cluster.namespace("shop").unwrap().labels.get("team").map(String::as_str), Some("shop"));

    // Objects say which list they came from.
    let deployment = cluster.workloads().iter().find(|w| w.name == "worker").unwrap();
    assert_eq!(
        deployment.origin.file.as_deref(),
        Some(format!("{}/apis/apps/v1/deployments", server.url).as_str())
    );
    assert_eq!(deployment.origin.line, 0);

    let seen = server.seen();
    let targets: Vec<&str> = seen.iter().map(|s| s.target.as_str()).collect();
    assert!(targets.contains(&"/apis/apps/v1/deployments?limit=500"), "{targets:?}");
    assert!(
        targets.contains(
            &"/apis/apps/v1/deployments?limit=500&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6ODEyMzQsInN0YXJ0Ijoid2ViXHUwMDAwIn0%3D"
        ),
        "{targets:?}"
    );
    assert!(targets.contains(&"/api/v1/namespaces/kube-system/configmaps?limit=500"), "{targets:?}");
    assert!(targets.contains(&"/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies?limit=500"));
    for native in [
        "/apis/cilium.io/v2/ciliumnetworkpolicies?limit=500",
        "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies?limit=500",
        "/apis/projectcalico.org/v3/networkpolicies?limit=500",
        "/apis/projectcalico.org/v3/globalnetworkpolicies?limit=500",
        "/apis/operator.tigera.io/v1/installations?limit=500",
    ] {
        assert!(targets.contains(&native), "{native} not listed: {targets:?}");
    }
    assert!(seen.iter().all(|s| s.authorization.as_deref() == Some("Bearer s3cr3t")));
}

#[test]
fn secrets_are_listed_as_metadata_only() {
    let server = FakeServer::start(Behaviour::default());
    let cluster = live(&server.source(), &options());
    let seen = server.seen();
    let secrets: Vec<&Seen> = seen.iter().filter(|s| s.target.contains("secrets")).collect();
    assert_eq!(secrets.len(), 1, "{secrets:?}");
    assert_eq!(secrets[0].target, "/api/v1/secrets?limit=500");
    assert_eq!(secrets[0].accept, METADATA_ONLY);
    // Everything else is asked for as plain JSON.
    assert!(seen.iter().filter(|s| !s.target.contains("secrets")).all(|s| s.accept == "application/json"));

    assert_eq!(cluster.secrets().len(), 1);
    let secret = &cluster.secrets()[0].value;
    assert_eq!(secret.metadata.name.as_deref(), Some("db-credentials"));
    assert!(secret.data.is_none() && secret.string_data.is_none());
}

#[test]
fn a_forbidden_kind_is_a_warning_and_the_rest_loads() {
    let server = FakeServer::start(Behaviour { forbidden: vec!["endpointslices"], ..Behaviour::default() });
    let cluster = live(&server.source(), &options());
    let diagnostics = cluster.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{:?}", self::diagnostics(&cluster));
    assert_eq!(diagnostics[0].severity, Severity::Warning);
    assert!(diagnostics[0].message.contains("`endpointslices` (HTTP 403)"), "{}", diagnostics[0].message);
    assert!(diagnostics[0].message.contains("no EndpointSlices: readiness inferred from Pods"));
    assert_eq!(
        diagnostics[0].location.file.as_deref(),
        Some(format!("{}/apis/discovery.k8s.io/v1/endpointslices", server.url).as_str())
    );
    assert!(cluster.endpoint_slices().is_empty());
    assert_eq!(pod_readiness(&cluster).len(), 4);
    assert_eq!(cluster.network_policies().len(), 1);
}

#[test]
fn an_unreachable_server_is_one_error_naming_the_url() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = format!("http://127.0.0.1:{port}");
    let source = LiveSource::Server { url: server.clone(), token: None };
    let cluster = live(&source, &options());
    let diagnostics = cluster.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{:?}", self::diagnostics(&cluster));
    let message = &diagnostics[0].message;
    assert_eq!(diagnostics[0].severity, Severity::Error);
    // The first list in a fixed order names the place; the message the server.
    assert_eq!(diagnostics[0].location.file.as_deref(), Some(format!("{server}/api/v1/namespaces").as_str()));
    assert!(message.starts_with(&format!("cannot read {server}: ")), "{message}");
    assert!(message.to_lowercase().contains("refused"), "{message}");
    assert!(message.contains("os error"), "{message}");
}

#[test]
fn a_slow_server_times_out() {
    let server =
        FakeServer::start(Behaviour { slow: Some(("pods", Duration::from_secs(3))), ..Behaviour::default() });
    let start = Instant::now();
    let cluster = live(&server.source(), &LiveOptions { timeout: Duration::from_millis(300), ..options() });
    assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
    let diagnostics = cluster.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{:?}", self::diagnostics(&cluster));
    assert_eq!(diagnostics[0].severity, Severity::Error);
    let message = &diagnostics[0].message;
    assert_eq!(diagnostics[0].location.file.as_deref(), Some(format!("{}/api/v1/pods", server.url).as_str()));
    assert!(message.contains("no answer within 0.3s"), "{message}");
}

#[test]
fn namespace_filter_lists_each_namespace() {
    let server = FakeServer::start(Behaviour::default());
    let cluster = live(&server.source(), &LiveOptions { namespaces: vec!["shop".into()], ..options() });
    // One note says what reading one namespace leaves out.
    assert_eq!(diagnostics(&cluster).len(), 1, "{:?}", diagnostics(&cluster));
    assert!(diagnostics(&cluster)[0].contains("read only namespace `shop`"), "{:?}", diagnostics(&cluster));
    let targets: Vec<String> = server.seen().into_iter().map(|s| s.target).collect();
    assert!(targets.contains(&"/api/v1/namespaces/shop/pods?limit=500".to_owned()), "{targets:?}");
    assert!(targets.contains(&"/api/v1/namespaces?limit=500".to_owned()), "{targets:?}");
    assert!(!targets.iter().any(|t| t.starts_with("/api/v1/pods")), "{targets:?}");
}

/// The fixtures as one `kind: List`, each item with its kind filled in.
fn as_list_file() -> Value {
    let kinds = [
        ("namespaces.json", "Namespace", "v1"),
        ("nodes.json", "Node", "v1"),
        ("pods.json", "Pod", "v1"),
        ("services.json", "Service", "v1"),
        ("secrets.json", "Secret", "v1"),
        ("configmaps.json", "ConfigMap", "v1"),
        ("deployments-1.json", "Deployment", "apps/v1"),
        ("deployments-2.json", "Deployment", "apps/v1"),
        ("replicasets.json", "ReplicaSet", "apps/v1"),
        ("statefulsets.json", "StatefulSet", "apps/v1"),
        ("endpointslices.json", "EndpointSlice", "discovery.k8s.io/v1"),
        ("networkpolicies.json", "NetworkPolicy", "networking.k8s.io/v1"),
        ("cilium.io-ciliumnetworkpolicies.json", "CiliumNetworkPolicy", "cilium.io/v2"),
    ];
    let mut items = Vec::new();
    for (file, kind, api_version) in kinds {
        let list = read_fixture(file).unwrap();
        for mut item in list["items"].as_array().unwrap().clone() {
            item["kind"] = json!(kind);
            item["apiVersion"] = json!(api_version);
            items.push(item);
        }
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

fn matrix_json(cluster: &Cluster) -> Value {
    let engine = PolicyEngine::new(cluster, PolicyOptions { ip_blocks_match_pods: false });
    let options = MatrixOptions {
        granularity: Granularity::Workloads,
        ingress_controller: true,
        filters: Filters::default(),
    };
    serde_json::to_value(matrix::matrix(&engine, &options)).unwrap()
}

#[test]
fn a_live_cluster_and_its_dump_give_the_same_matrix() {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("live-equivalence.json");
    std::fs::write(&file, serde_json::to_string_pretty(&as_list_file()).unwrap()).unwrap();
    let from_file = load(&[Input::Path(file)], &LoadOptions::new());
    assert_eq!(diagnostics(&from_file), Vec::<String>::new());

    let server = FakeServer::start(Behaviour::default());
    let from_server = live(&server.source(), &options());
    assert_eq!(diagnostics(&from_server), Vec::<String>::new());

    let expected = matrix_json(&from_file);
    assert!(!expected["edges"].as_array().is_none_or(Vec::is_empty), "{expected:#}");
    assert_eq!(matrix_json(&from_server), expected);
}

fn tls_source(api: &FakeApi, name: &str, ca: &str, user: User) -> LiveSource {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("live-{name}"));
    let path = api.kubeconfig(&fixtures(), &dir, ca, user);
    LiveSource::Kubeconfig { path: Some(path), context: None }
}

#[test]
fn a_kubeconfig_context_over_tls_with_the_cluster_ca() {
    let api = FakeApi::start(&fixtures(), Behaviour::default(), Tls::ServerOnly);
    let read = read_live(&tls_source(&api, "tls", "ca.crt", User::Token("t0ken")), &options());
    assert_eq!(read.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>(), Vec::<String>::new());
    assert_eq!(read.source, format!("context `fake` ({})", api.url));
    assert!(read.objects.iter().any(|o| o.value["kind"] == "NetworkPolicy"));
    assert!(api.seen().iter().all(|s| s.authorization.as_deref() == Some("Bearer t0ken")));
}

#[test]
fn a_server_certificate_from_another_ca_is_refused() {
    let api = FakeApi::start(&fixtures(), Behaviour::default(), Tls::ServerOnly);
    let read = read_live(&tls_source(&api, "bad-tls", "other-ca.crt", User::Token("t0ken")), &options());
    assert!(read.objects.is_empty());
    assert_eq!(read.diagnostics.len(), 1, "{:?}", read.diagnostics);
    let message = &read.diagnostics[0].message;
    assert_eq!(read.diagnostics[0].severity, Severity::Error);
    assert!(
        message.starts_with(&format!("cannot read context `fake` ({}): TLS verification failed: ", api.url)),
        "{message}"
    );
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert!(api.seen().is_empty(), "no request may be sent over an unverified connection");
}

/// A self-signed server certificate that is also a CA (`CA:TRUE`), given
/// as the kubeconfig's certificate authority: kubectl (Go's `crypto/x509`,
/// `Certificate.Verify`, which trusts a leaf found in the root pool as is)
/// accepts it; rustls (webpki) refuses a CA certificate as an end entity.
/// kubereach does not weaken verification to match: it refuses, sends
/// nothing, and says why and what to change (docs/security.md).
#[test]
fn a_self_signed_ca_server_certificate_is_refused_with_the_reason() {
    let api = FakeApi::start(&fixtures(), Behaviour::default(), Tls::SelfSignedCa);
    let read =
        read_live(&tls_source(&api, "self-signed", "self-signed-ca.crt", User::Token("t0ken")), &options());
    assert!(read.objects.is_empty());
    assert_eq!(read.diagnostics.len(), 1, "{:?}", read.diagnostics);
    let message = &read.diagnostics[0].message;
    assert!(
        message.starts_with(&format!("cannot read context `fake` ({}): TLS verification failed: ", api.url)),
        "{message}"
    );
    assert!(message.contains("CaUsedAsEndEntity"), "{message}");
    assert!(message.contains("a CA certificate (`CA:TRUE`) used as the server's own"), "{message}");
    assert!(api.seen().is_empty(), "no request may be sent over an unverified connection");
}

#[test]
fn client_certificates_authenticate() {
    let api = FakeApi::start(&fixtures(), Behaviour::default(), Tls::ClientCertificates);
    let read = read_live(&tls_source(&api, "mtls", "ca.crt", User::ClientCertificate), &options());
    assert_eq!(read.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>(), Vec::<String>::new());
    assert!(!read.objects.is_empty());
    // Without one, the handshake fails and says so.
    let read = read_live(&tls_source(&api, "mtls-none", "ca.crt", User::Token("t0ken")), &options());
    assert_eq!(read.diagnostics.len(), 1, "{:?}", read.diagnostics);
    assert!(read.diagnostics[0].message.starts_with("cannot read context `fake`"), "{}", read.diagnostics[0]);
}

#[test]
fn expired_credentials_are_one_error_saying_so() {
    let api = FakeApi::start(
        &fixtures(),
        Behaviour { rejected_tokens: vec!["expired"], ..Behaviour::default() },
        Tls::ServerOnly,
    );
    let read = read_live(&tls_source(&api, "expired", "ca.crt", User::Token("expired")), &options());
    assert!(read.objects.is_empty());
    assert_eq!(read.diagnostics.len(), 1, "{:?}", read.diagnostics);
    let message = &read.diagnostics[0].message;
    assert!(
        message.starts_with(&format!(
            "context `fake` ({}) rejected the credentials (HTTP 401 Unauthorized)",
            api.url
        )),
        "{message}"
    );
    assert!(message.contains("missing, invalid or expired"), "{message}");
}

#[test]
fn a_server_without_an_optional_kind_is_a_warning_naming_the_loss() {
    let server = FakeServer::start(Behaviour { not_served: vec!["ingressclasses"], ..Behaviour::default() });
    let cluster = live(&server.source(), &options());
    let diagnostics = cluster.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{:?}", self::diagnostics(&cluster));
    assert_eq!(diagnostics[0].severity, Severity::Warning);
    assert_eq!(
        diagnostics[0].message,
        "the API server does not serve `ingressclasses` in networking.k8s.io/v1 (HTTP 404): \
         no IngressClasses: ingress controllers not identified"
    );
    assert!(cluster.ingress_classes().is_empty());
}

#[test]
fn a_server_without_networking_v1_cannot_be_read() {
    // Without NetworkPolicies every connection they deny would look allowed.
    let server = FakeServer::start(Behaviour { not_served: vec!["networkpolicies"], ..Behaviour::default() });
    let read = read_live(&server.source(), &options());
    assert!(read.failed);
    assert_eq!(read.diagnostics.len(), 1, "{:?}", read.diagnostics);
    assert_eq!(read.diagnostics[0].severity, Severity::Error);
    assert_eq!(
        read.diagnostics[0].message,
        "the API server does not serve `networkpolicies` in networking.k8s.io/v1 (HTTP 404): \
         no NetworkPolicies: connections they deny would be reported as allowed; kubereach cannot \
         answer without `networkpolicies`"
    );
}

#[test]
fn objects_read_are_sanitized() {
    let server = FakeServer::start(Behaviour::default());
    let read = read_live(&server.source(), &options());
    let text = serde_json::to_string(&read.objects.iter().map(|o| &o.value).collect::<Vec<_>>()).unwrap();
    // The Secret's last-applied annotation held its data.
    assert!(!text.contains("aHVudGVyMg=="), "secret data kept");
    assert!(!text.contains("last-applied-configuration"));
    assert!(!text.contains("managedFields"));
    // Other annotations stay.
    assert!(text.contains("prometheus.io/scrape"));
    let secret = read.objects.iter().find(|o| o.value["kind"] == "Secret").unwrap();
    assert_eq!(secret.value["apiVersion"], "v1");
    assert_eq!(secret.value["metadata"]["name"], "db-credentials");
}

#[test]
fn lists_come_back_in_a_fixed_order() {
    // Slow the first kind down: concurrency must not reorder the objects.
    let server = FakeServer::start(Behaviour {
        slow: Some(("namespaces", Duration::from_millis(300))),
        ..Behaviour::default()
    });
    let read = read_live(&server.source(), &options());
    let kinds: Vec<&str> = read.objects.iter().map(|o| o.value["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"Namespace"));
    let mut deduped = kinds.clone();
    deduped.dedup();
    assert_eq!(
        deduped,
        [
            "Namespace",
            "Node",
            "Pod",
            "Service",
            "Secret",
            "ConfigMap",
            "Deployment",
            "StatefulSet",
            "ReplicaSet",
            "EndpointSlice",
            "NetworkPolicy",
            "CiliumNetworkPolicy",
        ]
    );
}

#[test]
fn a_failing_credential_plugin_is_named() {
    let api = FakeApi::start(&fixtures(), Behaviour::default(), Tls::ServerOnly);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("live-exec");
    let path = api.kubeconfig(&fixtures(), &dir, "ca.crt", User::Token("unused"));
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "    token: unused\n",
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubereach-no-such-plugin\n      interactiveMode: Never\n",
    );
    std::fs::write(&path, text).unwrap();
    let read = read_live(&LiveSource::Kubeconfig { path: Some(path), context: None }, &options());
    assert_eq!(read.diagnostics.len(), 1, "{:?}", read.diagnostics);
    let message = &read.diagnostics[0].message;
    assert!(
        message.starts_with(&format!("cannot authenticate to context `fake` ({}): ", api.url)),
        "{message}"
    );
    assert!(message.contains("kubereach-no-such-plugin"), "{message}");
    assert!(api.seen().is_empty(), "{:?}", api.seen());
}

#[test]
fn a_transient_server_error_is_retried() {
    // An API server restarting behind its load balancer: two 503s, then the list.
    let server =
        FakeServer::start(Behaviour { flaky: Some(Flaky::new("pods", 503, 2)), ..Behaviour::default() });
    let read = read_live(&server.source(), &options());
    assert_eq!(read.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>(), Vec::<String>::new());
    assert!(!read.failed);
    let pods = server.seen().iter().filter(|s| s.target.starts_with("/api/v1/pods?")).count();
    assert_eq!(pods, 3, "two failures, then the answer");
    assert!(read.objects.iter().any(|o| o.value["kind"] == "Pod"));
    // 429 too.
    let server =
        FakeServer::start(Behaviour { flaky: Some(Flaky::new("services", 429, 1)), ..Behaviour::default() });
    let read = read_live(&server.source(), &options());
    assert!(read.diagnostics.is_empty() && !read.failed, "{:?}", read.diagnostics);
}

#[test]
fn a_server_that_always_fails_is_unreadable_not_empty() {
    let server = FakeServer::start(Behaviour { failing: vec![("*", 503)], ..Behaviour::default() });
    let read = read_live(&server.source(), &options());
    assert!(read.failed, "{:?}", read.diagnostics);
    assert!(read.objects.is_empty());
    let first = &read.diagnostics[0];
    assert_eq!(first.severity, Severity::Error);
    assert_eq!(
        first.message,
        format!(
            "cannot read {}: every list failed, the first with: cannot list `namespaces` (HTTP 503) \
             (the server is currently unable to handle the request): no Namespaces: namespace labels \
             unknown, namespaceSelectors may not match",
            server.url
        )
    );
    // Each list was tried four times: once, then after each retry delay.
    let pods = server.seen().iter().filter(|s| s.target.starts_with("/api/v1/pods?")).count();
    assert_eq!(pods, 4);
}

#[test]
fn a_required_kind_that_cannot_be_listed_makes_the_cluster_unreadable() {
    // Kubernetes RBAC: a Role without `list` on pods answers 403.
    for (behaviour, resource) in [
        (Behaviour { forbidden: vec!["pods"], ..Behaviour::default() }, "pods"),
        (Behaviour { forbidden: vec!["namespaces"], ..Behaviour::default() }, "namespaces"),
        (Behaviour { failing: vec![("networkpolicies", 500)], ..Behaviour::default() }, "networkpolicies"),
    ] {
        let server = FakeServer::start(behaviour);
        let read = read_live(&server.source(), &options());
        assert!(read.failed, "{resource}: {:?}", read.diagnostics);
        let error = read.diagnostics.iter().find(|d| d.severity == Severity::Error).unwrap();
        assert!(
            error.message.ends_with(&format!("kubereach cannot answer without `{resource}`")),
            "{}",
            error.message
        );
    }
    // Every list forbidden: the same, not an empty cluster with warnings.
    let server = FakeServer::start(Behaviour { forbidden: vec!["*"], ..Behaviour::default() });
    let read = read_live(&server.source(), &options());
    assert!(read.failed && read.objects.is_empty());
    assert!(
        read.diagnostics[0].message.contains(": every list failed, the first with: "),
        "{}",
        read.diagnostics[0]
    );
    // An optional kind forbidden stays a warning.
    let server = FakeServer::start(Behaviour { forbidden: vec!["ingresses"], ..Behaviour::default() });
    let read = read_live(&server.source(), &options());
    assert!(!read.failed);
    assert_eq!(read.diagnostics.len(), 1);
    assert_eq!(read.diagnostics[0].severity, Severity::Warning);
}

#[test]
fn a_server_that_never_answers_is_waited_on_once_not_per_list() {
    // It accepts each connection and reads the request, then says nothing:
    // the first list to time out ends the read, instead of every batch of
    // lists waiting out its own timeout in turn.
    let server = FakeServer::start(Behaviour { silent: true, ..Behaviour::default() });
    let read = read_live(&server.source(), &LiveOptions { timeout: Duration::from_millis(300), ..options() });
    assert!(read.failed);
    assert_eq!(read.diagnostics.len(), 1, "{:?}", read.diagnostics);
    assert!(read.diagnostics[0].message.contains("no answer within 0.3s"), "{}", read.diagnostics[0]);
    let lists = kubereach_load::listed_resources().len();
    let requests = server.seen().len();
    assert!(requests <= 6, "only the lists in flight were sent ({requests} of at least {lists})");
}

#[test]
fn the_whole_read_has_a_deadline() {
    // Each request is answered within its timeout, but the read as a whole
    // takes longer than allowed: a clear error, not an endless wait.
    let server =
        FakeServer::start(Behaviour { slow: Some(("pods", Duration::from_secs(2))), ..Behaviour::default() });
    let read =
        read_live(&server.source(), &LiveOptions { deadline: Duration::from_millis(500), ..options() });
    assert!(read.failed);
    assert_eq!(read.diagnostics.len(), 1, "{:?}", read.diagnostics);
    assert_eq!(
        read.diagnostics[0].message,
        format!("cannot read {}: not read within 0.5s (`--read-deadline`)", server.url)
    );
}

#[test]
fn endless_pagination_stops_at_the_page_cap() {
    let server = FakeServer::start(Behaviour { endless: Some("services"), ..Behaviour::default() });
    let read = read_live(&server.source(), &options());
    let errors: Vec<String> =
        read.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [format!(
            "{}/api/v1/services: error: the API server answered more than 1000 pages of 500 `services`, \
             each with a new `continue` token: stopped there",
            server.url
        )]
    );
    let pages = server.seen().iter().filter(|s| s.target.starts_with("/api/v1/services?")).count();
    assert_eq!(pages, 1000);
    assert!(!read.failed, "an optional kind: the rest of the cluster is read");
}

#[test]
fn an_answer_larger_than_the_limit_is_refused() {
    // A 2 MiB page with a 1 MiB limit: the body is read up to the limit only.
    let server =
        FakeServer::start(Behaviour { huge: Some(("pods", 2 * 1024 * 1024)), ..Behaviour::default() });
    let read = read_live(&server.source(), &LiveOptions { max_response_size: 1024 * 1024, ..options() });
    assert!(read.failed, "pods are required");
    let error = read.diagnostics.iter().find(|d| d.severity == Severity::Error).unwrap();
    assert_eq!(
        error.message,
        "the API server's answer listing `pods` is larger than the limit of 1 MiB (raise it with \
         `--max-response-size`); kubereach cannot answer without `pods`"
    );
    // Within the limit the same answer is read.
    let read = read_live(&server.source(), &options());
    assert!(!read.failed, "{:?}", read.diagnostics);
}

/// A fake API server serving the fixtures under `tests/fixtures/NAME/live`.
fn calico_server(name: &str) -> (FakeApi, LiveSource) {
    let api = FakeApi::start(&fixtures().join(name), Behaviour::default(), Tls::None);
    let source = LiveSource::Server { url: format!("{}/", api.url), token: Some("s3cr3t".into()) };
    (api, source)
}

// Calico without its API server: `projectcalico.org/v3` is not served
// (404, silent), and the policies are read from their
// `crd.projectcalico.org/v1` CRDs.
#[test]
fn calico_crds_are_read_without_the_calico_api_server() {
    let (api, source) = calico_server("calico-crd");
    let cluster = live(&source, &options());
    assert_eq!(diagnostics(&cluster), Vec::<String>::new());
    let read: Vec<(String, String)> = cluster
        .calico_objects()
        .iter()
        .map(|o| (o.value.kind().to_owned(), o.origin.file.as_deref().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(
        read,
        [
            (
                "NetworkPolicy".to_owned(),
                format!("{}/apis/crd.projectcalico.org/v1/networkpolicies", api.url)
            ),
            ("Tier".to_owned(), format!("{}/apis/crd.projectcalico.org/v1/tiers", api.url)),
        ]
    );
    let targets: Vec<String> = api.seen().into_iter().map(|s| s.target).collect();
    assert!(
        targets.contains(&"/apis/projectcalico.org/v3/networkpolicies?limit=500".to_owned()),
        "{targets:?}"
    );
}

// With the API server, its v3 objects are the same policies as the CRDs:
// each is read once, in its v3 form.
#[test]
fn calico_api_server_form_wins_over_its_crds() {
    let (api, source) = calico_server("calico-both");
    let cluster = live(&source, &options());
    let read: Vec<(String, String)> = cluster
        .calico_objects()
        .iter()
        .map(|o| {
            (
                o.value.metadata().name.clone().unwrap_or_default(),
                o.origin.file.as_deref().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [("api-from-web".to_owned(), format!("{}/apis/projectcalico.org/v3/networkpolicies", api.url))]
    );
}
