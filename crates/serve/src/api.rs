//! The read-only JSON API (`docs/api.md`, `docs/openapi.yaml`). Each
//! handler answers with the document the CLI writes for the same question:
//! `kubereach.matrix/v1`, `kubereach.trace/v1`, `kubereach.check/v1`,
//! `kubereach.diff/v1`, the explanation of `matrix --explain`, and the graph
//! the page draws.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use kubereach_core::matrix::{self, Filters};
use kubereach_core::policy::{Endpoint, IpRange, PolicyKind, Tiers, INGRESS_CONTROLLER_NAMESPACE};
use kubereach_core::ports::Protocol;
use kubereach_core::trace::{self, find_pod, TraceDestination, TraceOptions, TraceSource};
use kubereach_core::Cluster;
use serde::Deserialize;

use crate::snapshot::{self, Snapshot};
use crate::{DnsQuery, Sources};
use kubereach_core::cni::PolicyView;

/// Questions answered at once; more get 503, so a burst of requests cannot
/// queue unbounded work.
const MAX_BUSY: usize = 4;

/// Longest query parameter value accepted (a URL, a name).
const MAX_PARAMETER: usize = 2048;

/// What the handlers share.
pub struct App {
    sources: Sources,
    snapshot: RwLock<Arc<Snapshot>>,
    busy: AtomicUsize,
}

impl App {
    /// The server's state, with the first reading of the sources.
    pub fn new(sources: Sources, snapshot: Snapshot) -> App {
        App { sources, snapshot: RwLock::new(Arc::new(snapshot)), busy: AtomicUsize::new(0) }
    }

    fn current(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

/// An error answer: `{"error": "..."}`.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.1 }).to_string();
        let mut response = (self.0, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message.into())
}

fn json(bytes: Bytes) -> Response {
    let mut response = bytes.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `GET /api/info`: what the server shows (`as_written`: every policy
/// evaluated as written, not only the kinds the plugin enforces).
pub async fn info(State(app): State<Arc<App>>) -> Response {
    let body = serde_json::json!({
        "schema": "kubereach.info/v1",
        "version": env!("CARGO_PKG_VERSION"),
        "source": app.sources.name,
        "live": app.sources.live,
        "diff": app.sources.old.is_some(),
        "as_written": app.sources.view == PolicyView::AsWritten,
    });
    json(Bytes::from(body.to_string()))
}

/// `GET /api/graph`: the graph document.
pub async fn graph(State(app): State<Arc<App>>) -> Response {
    json(Bytes::from(app.current().graph.clone()))
}

/// `GET /api/check`: the findings, as `kubereach check --format json`.
pub async fn check(State(app): State<Arc<App>>) -> Response {
    json(Bytes::from(app.current().check.clone()))
}

/// `GET /api/diff`: in diff mode, as `kubereach diff --format json`.
pub async fn diff(State(app): State<Arc<App>>) -> Response {
    match &app.current().diff {
        Some(diff) => json(Bytes::from(diff.clone())),
        None => ApiError(StatusCode::NOT_FOUND, "not in diff mode: start with `--diff OLD NEW`".into())
            .into_response(),
    }
}

/// `GET /api/refresh`: reads the sources again (a live cluster is listed
/// anew; nothing is written to it) and answers with the new graph.
pub async fn refresh(State(app): State<Arc<App>>) -> Response {
    let worker = Arc::clone(&app);
    run(&app, move |_| {
        let fresh = snapshot::read(&worker.sources).map_err(|e| ApiError(StatusCode::BAD_GATEWAY, e))?;
        let graph = fresh.graph.clone();
        match worker.snapshot.write() {
            Ok(mut guard) => *guard = Arc::new(fresh),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(fresh),
        }
        Ok(graph)
    })
    .await
}

/// The parameters of `GET /api/matrix`.
#[derive(Debug, Deserialize)]
pub struct MatrixQuery {
    /// Keep connections with an end in this namespace.
    namespace: Option<String>,
    /// Keep connections with an end at this workload (`NAMESPACE/NAME`).
    focus: Option<String>,
}

/// `GET /api/matrix`: the workload matrix, filtered as `kubereach matrix
/// --namespace N --focus W --format json` filters it.
pub async fn matrix(State(app): State<Arc<App>>, Query(query): Query<MatrixQuery>) -> Response {
    run(&app, move |snapshot| {
        let cluster = &snapshot.cluster;
        let mut filters = Filters::default();
        if let Some(namespace) = query.namespace {
            check_length(&namespace)?;
            if cluster.namespace(&namespace).is_none() {
                return Err(ApiError(
                    StatusCode::NOT_FOUND,
                    format!("no namespace `{namespace}` in the input"),
                ));
            }
            filters.namespaces.push(namespace);
        }
        if let Some(focus) = query.focus {
            check_length(&focus)?;
            filters.focus.push(focus);
        }
        let engine = snapshot.engine(snapshot.view);
        let report = matrix::matrix(&engine, &snapshot::workload_options(filters));
        to_bytes(&report)
    })
    .await
}

/// The parameters of `GET /api/explain`.
#[derive(Debug, Deserialize)]
pub struct ExplainQuery {
    from: String,
    to: String,
}

/// `GET /api/explain`: which policies and rules allow or deny each part of
/// one pair, as `kubereach matrix --explain FROM TO --format json`.
pub async fn explain(State(app): State<Arc<App>>, Query(query): Query<ExplainQuery>) -> Response {
    run(&app, move |snapshot| {
        let cluster = &snapshot.cluster;
        let from = endpoint(cluster, &query.from)?;
        let to = endpoint(cluster, &query.to)?;
        let engine = snapshot.engine(snapshot.view);
        to_bytes(&engine.explain(&from, &to))
    })
    .await
}

/// The parameters of `GET /api/policy`.
#[derive(Debug, Deserialize)]
pub struct PolicyQuery {
    /// `NetworkPolicy` when absent.
    kind: Option<String>,
    /// Absent for the cluster-scoped kinds.
    namespace: Option<String>,
    name: String,
}

/// `GET /api/policy`: what a policy (NetworkPolicy, AdminNetworkPolicy,
/// BaselineAdminNetworkPolicy, or a plugin's own) applies to and, rule by
/// rule, the peers it matches (`kubereach.policy/v1`).
pub async fn policy(State(app): State<Arc<App>>, Query(query): Query<PolicyQuery>) -> Response {
    run(&app, move |snapshot| {
        check_length(&query.name)?;
        let kind_text = query.kind.as_deref().unwrap_or("NetworkPolicy");
        check_length(kind_text)?;
        let kind = crate::policy::parse_kind(kind_text)
            .ok_or_else(|| bad_request(format!("unknown policy kind `{kind_text}`")))?;
        let namespace = query.namespace.as_deref().filter(|n| !n.is_empty());
        if let Some(namespace) = namespace {
            check_length(namespace)?;
        }
        let enforced = kind_enforced(&snapshot.plugin.tiers(PolicyView::Effective), kind);
        // Every tier, so that a kind the plugin ignores still resolves (`enforced` says so).
        let engine = snapshot.engine(PolicyView::AsWritten);
        match crate::policy::policy_peers(&engine, kind, namespace, &query.name, enforced) {
            Some(document) => to_bytes(&document),
            None => {
                let name = namespace.map(|ns| format!("{ns}/{}", query.name)).unwrap_or(query.name.clone());
                Err(ApiError(StatusCode::NOT_FOUND, format!("no {} `{name}` in the input", kind.as_str())))
            }
        }
    })
    .await
}

/// Whether the tiers the plugin enforces hold `kind`.
fn kind_enforced(tiers: &Tiers, kind: PolicyKind) -> bool {
    match kind {
        PolicyKind::NetworkPolicy => tiers.network,
        PolicyKind::AdminNetworkPolicy => tiers.admin,
        PolicyKind::BaselineAdminNetworkPolicy => tiers.baseline,
        PolicyKind::CiliumNetworkPolicy | PolicyKind::CiliumClusterwideNetworkPolicy => tiers.cilium,
        PolicyKind::CalicoNetworkPolicy | PolicyKind::CalicoGlobalNetworkPolicy => tiers.calico,
    }
}

/// The parameters of `GET /api/trace`.
#[derive(Debug, Deserialize)]
pub struct TraceQuery {
    from: String,
    to: String,
    protocol: Option<String>,
}

/// `GET /api/trace`: `kubereach trace FROM TO --format json`.
pub async fn trace(State(app): State<Arc<App>>, Query(query): Query<TraceQuery>) -> Response {
    run(&app, move |snapshot| {
        check_length(&query.from)?;
        check_length(&query.to)?;
        let source = TraceSource::parse(&query.from).map_err(|e| bad_request(e.to_string()))?;
        let destination = TraceDestination::parse(&query.to).map_err(|e| bad_request(e.to_string()))?;
        let protocol = match query.protocol.as_deref() {
            None | Some("") => Protocol::Tcp,
            Some(text) => Protocol::parse(text)
                .ok_or_else(|| bad_request(format!("unknown protocol `{text}`: use TCP, UDP or SCTP")))?,
        };
        let cluster = &snapshot.cluster;
        if let TraceSource::Workload { namespace, name } = &source {
            if let Err(not_found) = find_pod(cluster, namespace, name) {
                let hint = not_found.hint().map(|h| format!("; {h}")).unwrap_or_default();
                return Err(ApiError(
                    StatusCode::NOT_FOUND,
                    format!("no pod or workload `{namespace}/{name}` in the input{hint}"),
                ));
            }
        }
        let engine = snapshot.engine(PolicyView::AsWritten);
        let options = TraceOptions { protocol, http: Default::default() };
        to_bytes(&trace::trace(cluster, &engine, &source, &destination, &options))
    })
    .await
}

/// `GET /api/dns`: `kubereach dns NAME --from FROM --type TYPE --format json`.
pub async fn dns(State(app): State<Arc<App>>, Query(query): Query<DnsQuery>) -> Response {
    let worker = Arc::clone(&app);
    run(&app, move |snapshot| {
        check_length(&query.name)?;
        check_length(&query.from)?;
        let document = (worker.sources.dns)(&snapshot.cluster, &query).map_err(bad_request)?;
        to_bytes(&document)
    })
    .await
}

/// Runs `answer` on the current snapshot off the async threads, at most
/// [`MAX_BUSY`] at once.
async fn run<F>(app: &Arc<App>, answer: F) -> Response
where
    F: FnOnce(&Snapshot) -> Result<Vec<u8>, ApiError> + Send + 'static,
{
    if app.busy.fetch_add(1, Ordering::SeqCst) >= MAX_BUSY {
        app.busy.fetch_sub(1, Ordering::SeqCst);
        return ApiError(StatusCode::SERVICE_UNAVAILABLE, "busy: try again".into()).into_response();
    }
    let snapshot = app.current();
    let result = tokio::task::spawn_blocking(move || answer(&snapshot)).await;
    app.busy.fetch_sub(1, Ordering::SeqCst);
    match result {
        Ok(Ok(bytes)) => json(Bytes::from(bytes)),
        Ok(Err(error)) => error.into_response(),
        Err(_) => ApiError(StatusCode::INTERNAL_SERVER_ERROR, "the query failed".into()).into_response(),
    }
}

fn to_bytes(value: &impl serde::Serialize) -> Result<Vec<u8>, ApiError> {
    snapshot::to_json(value).map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e))
}

fn check_length(value: &str) -> Result<(), ApiError> {
    if value.len() > MAX_PARAMETER {
        return Err(bad_request(format!("a parameter is longer than {MAX_PARAMETER} bytes")));
    }
    Ok(())
}

/// An end of a pair, as the graph names its nodes: `NAMESPACE/NAME` (a
/// workload or pod), an external range's id (`CIDR` or `FIRST-LAST`; any
/// address in it stands for it, as the ranges are the blocks policies cut),
/// an IP address, or `{ingress-controller}`.
fn endpoint(cluster: &Cluster, text: &str) -> Result<Endpoint, ApiError> {
    check_length(text)?;
    if text == kubereach_core::matrix::INGRESS_CONTROLLER_ID {
        return Ok(Endpoint::IngressController);
    }
    if let Ok(address) = text.parse::<std::net::IpAddr>() {
        return Ok(Endpoint::External(IpRange::from_addr(address)));
    }
    if let Some(range) = IpRange::parse_cidr(text) {
        return Ok(Endpoint::External(range));
    }
    if let Some(address) = text.split_once('-').and_then(|(first, _)| first.parse::<std::net::IpAddr>().ok())
    {
        return Ok(Endpoint::External(IpRange::from_addr(address)));
    }
    let Some((namespace, name)) = text.split_once('/').filter(|(ns, n)| !ns.is_empty() && !n.is_empty())
    else {
        return Err(bad_request(format!("`{text}` is neither `NAMESPACE/NAME` nor an address")));
    };
    if namespace == INGRESS_CONTROLLER_NAMESPACE {
        return Ok(Endpoint::IngressController);
    }
    find_pod(cluster, namespace, name).map(Endpoint::Pod).map_err(|not_found| {
        let hint = not_found.hint().map(|h| format!("; {h}")).unwrap_or_default();
        ApiError(StatusCode::NOT_FOUND, format!("no pod or workload `{text}` in the input{hint}"))
    })
}
