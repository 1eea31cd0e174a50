//! Reading a live cluster: a small HTTP/1.1 server on the loopback interface
//! answers the list requests with `kubectl get -o json` style fixtures.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use kubereach_core::matrix::{self, Filters, Granularity, MatrixOptions};
use kubereach_core::model::Readiness;
use kubereach_core::policy::{PolicyEngine, PolicyOptions};
use kubereach_core::{Cluster, ClusterBuilder, Severity};
use kubereach_load::{load, load_live, Input, LiveConfig, LoadOptions};

const METADATA_ONLY: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/live")
}

/// A request the server saw.
#[derive(Debug, Clone)]
struct Seen {
    /// Path and query.
    target: String,
    accept: String,
    authorization: Option<String>,
}

/// How the server misbehaves.
#[derive(Clone, Default)]
struct Behaviour {
    /// Resources answered with 403.
    forbidden: Vec<&'static str>,
    /// A resource answered only after this delay.
    slow: Option<(&'static str, Duration)>,
}

struct FakeServer {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeServer {
    fn start(behaviour: Behaviour) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let behaviour = behaviour.clone();
                let log = Arc::clone(&log);
                std::thread::spawn(move || serve(stream, &behaviour, &log));
            }
        });
        FakeServer { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn config(&self) -> LiveConfig {
        LiveConfig {
            server: format!("{}/", self.url),
            token: Some("s3cr3t".into()),
            namespaces: Vec::new(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Answers the requests of one connection (kept alive between them).
fn serve(stream: TcpStream, behaviour: &Behaviour, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let target = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut accept = String::new();
        let mut authorization = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            match name.to_ascii_lowercase().as_str() {
                "accept" => accept = value.trim().to_owned(),
                "authorization" => authorization = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        log.lock().unwrap().push(Seen { target: target.clone(), accept, authorization });
        let (status, body) = answer(&target, behaviour);
        let reason = match status {
            200 => "OK",
            403 => "Forbidden",
            404 => "Not Found",
            _ => "Gone",
        };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn status(code: u16, reason: &str, message: &str) -> String {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "code": code})
    .to_string()
}

fn answer(target: &str, behaviour: &Behaviour) -> (u16, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let resource = path.rsplit('/').next().unwrap();
    if behaviour.forbidden.contains(&resource) {
        return (
            403,
            status(
                403,
                "Forbidden",
                &format!("{resource} is forbidden: User \"viewer\" cannot list resource \"{resource}\""),
            ),
        );
    }
    if let Some((slow, delay)) = behaviour.slow {
        if slow == resource {
            std::thread::sleep(delay);
        }
    }
    if path.contains("/policy.networking.k8s.io/") {
        return (404, status(404, "NotFound", "the server could not find the requested resource"));
    }
    let token = query.split('&').find_map(|p| p.strip_prefix("continue=")).map(percent_decode);
    let file = match token {
        Some(token) => {
            let first: Value = read_fixture(&format!("{resource}-1.json")).unwrap();
            if first["metadata"]["continue"] != token.as_str() {
                return (410, status(410, "Expired", "the provided continue parameter is too old"));
            }
            format!("{resource}-2.json")
        }
        None if fixtures().join(format!("{resource}-1.json")).exists() => format!("{resource}-1.json"),
        None => format!("{resource}.json"),
    };
    match std::fs::read_to_string(fixtures().join(file)) {
        Ok(body) => (200, body),
        Err(_) => (200, json!({"kind": "List", "apiVersion": "v1", "metadata": {}, "items": []}).to_string()),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn read_fixture(name: &str) -> Option<Value> {
    let text = std::fs::read_to_string(fixtures().join(name)).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

fn live(config: &LiveConfig) -> Cluster {
    let mut builder = ClusterBuilder::new();
    load_live(config, &mut builder);
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
    let cluster = live(&server.config());
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
            ("db-0".to_owned(), Readiness::Ready),
            ("web-7d9f8b6c5-abcde".to_owned(), Readiness::Ready),
            ("web-7d9f8b6c5-fghij".to_owned(), Readiness::NotReady),
        ]
    );
    assert_eq!(cluster.endpoint_slices().len(), 1);
    assert_eq!(cluster.network_policies().len(), 1);
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
    assert!(seen.iter().all(|s| s.authorization.as_deref() == Some("Bearer s3cr3t")));
}

#[test]
fn secrets_are_listed_as_metadata_only() {
    let server = FakeServer::start(Behaviour::default());
    let cluster = live(&server.config());
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
    let cluster = live(&server.config());
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
    assert_eq!(pod_readiness(&cluster).len(), 3);
    assert_eq!(cluster.network_policies().len(), 1);
}

#[test]
fn an_unreachable_server_is_one_error_naming_the_url() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = format!("http://127.0.0.1:{port}");
    let config = LiveConfig {
        server: server.clone(),
        token: None,
        namespaces: Vec::new(),
        timeout: Duration::from_secs(5),
    };
    let cluster = live(&config);
    let diagnostics = cluster.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{:?}", self::diagnostics(&cluster));
    let message = &diagnostics[0].message;
    assert_eq!(diagnostics[0].severity, Severity::Error);
    assert!(message.contains(&format!("{server}/api/v1/namespaces")), "{message}");
    assert!(message.to_lowercase().contains("refused"), "{message}");
    assert!(message.contains("os error"), "{message}");
}

#[test]
fn a_slow_server_times_out() {
    let server =
        FakeServer::start(Behaviour { slow: Some(("pods", Duration::from_secs(3))), ..Behaviour::default() });
    let config = LiveConfig { timeout: Duration::from_millis(300), ..server.config() };
    let start = Instant::now();
    let cluster = live(&config);
    assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
    let diagnostics = cluster.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{:?}", self::diagnostics(&cluster));
    assert_eq!(diagnostics[0].severity, Severity::Error);
    let message = &diagnostics[0].message;
    assert!(message.contains(&format!("{}/api/v1/pods", server.url)), "{message}");
    assert!(message.contains("no answer within 0.3s"), "{message}");
}

#[test]
fn namespace_filter_lists_each_namespace() {
    let server = FakeServer::start(Behaviour::default());
    let config = LiveConfig { namespaces: vec!["shop".into()], ..server.config() };
    let cluster = live(&config);
    assert_eq!(diagnostics(&cluster), Vec::<String>::new());
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
    let from_server = live(&server.config());
    assert_eq!(diagnostics(&from_server), Vec::<String>::new());

    let expected = matrix_json(&from_file);
    assert!(!expected["edges"].as_array().is_none_or(Vec::is_empty), "{expected:#}");
    assert_eq!(matrix_json(&from_server), expected);
}
