//! Reads a live cluster through the Kubernetes list API, with kube-rs.
//!
//! Every kind the model uses is listed concurrently, page by page
//! (`limit`/`continue`), then each item goes through [`lower_document`](crate::lower_document) in
//! a fixed order, as if it came from a file named after the list's URL, so
//! the answers do not depend on which list came back first. Secrets are
//! listed as metadata only: their data is never requested.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Map, Value};

use kubereach_core::origin::Location;
use kubereach_core::{ClusterBuilder, Diagnostic, Origin};

mod calico;
mod connect;
mod credentials;
mod error;
mod gateway_versions;
mod kinds;
mod request;
#[cfg(test)]
mod test_objects;

pub use connect::LiveSource;
use connect::{error_chain, Connection, Environment};
pub use credentials::redact_userinfo;
pub use error::LiveError;
use kinds::{ListKind, Scope, KINDS, REQUIRED};
use request::Refused;

/// How to read the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    /// Namespaces to list namespaced kinds in; empty for all of them.
    /// Cluster-scoped kinds (Namespaces, Nodes, IngressClasses, admin
    /// policies) are always listed whole.
    pub namespaces: Vec<String>,
    /// The time allowed for each request.
    pub timeout: Duration,
    /// Show progress on standard error (only when it is a terminal).
    pub progress: bool,
    /// The largest answer accepted for one page of a list, in bytes.
    pub max_response_size: u64,
    /// The time allowed for the whole read, every list and page included:
    /// a server answering each request just within `timeout`, or trickling
    /// its answers, is not waited on without end.
    pub deadline: Duration,
    /// Whether the values of containers' environment variables are kept
    /// (`snapshot --include-env-values`); by default only those the model
    /// reads are.
    pub env_values: EnvValues,
}

/// What [`sanitize_with`] does with the values of containers' environment
/// variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvValues {
    /// Only the values the model reads are kept: database passwords and API
    /// keys are often set there.
    Dropped,
    /// Every value is kept, for a snapshot its user asked to be complete.
    Kept,
}

/// The default [`LiveOptions::max_response_size`]: 256 MiB, as for a file.
pub const DEFAULT_MAX_RESPONSE_SIZE: u64 = 256 * 1024 * 1024;

/// The default [`LiveOptions::deadline`]: ten minutes.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(600);

impl Default for LiveOptions {
    fn default() -> LiveOptions {
        LiveOptions {
            namespaces: Vec::new(),
            timeout: Duration::from_secs(30),
            progress: false,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            deadline: DEFAULT_DEADLINE,
            env_values: EnvValues::Dropped,
        }
    }
}

/// What was read from a cluster.
#[derive(Debug, Default)]
pub struct LiveRead {
    /// The cluster as messages name it: `context `prod` (https://…)` or a URL.
    pub source: String,
    /// The objects, sanitized ([`sanitize`]), each with its `kind` and
    /// `apiVersion`, in a fixed order (kind by kind, as the server listed them).
    pub objects: Vec<LiveObject>,
    /// Kinds that could not be listed, or why nothing could be.
    pub diagnostics: Vec<Diagnostic>,
    /// The cluster could not be read: the server could not be reached or
    /// refused the credentials, one of the kinds every answer rests on
    /// (Namespaces, Pods, NetworkPolicies) could not be listed, or no list
    /// at all succeeded. An error diagnostic says why; answering from what
    /// was read would describe an empty cluster.
    pub failed: bool,
    /// Why the read failed as a whole, when it did: the cluster could not
    /// be chosen or reached, no list succeeded, or (the first) required
    /// kind could not be listed. Its message is also an error diagnostic.
    pub error: Option<LiveError>,
    /// The namespace kubectl uses without `-n`: the kubeconfig context's
    /// `namespace`, the pod's own in-cluster, else `default` (as kube-rs
    /// resolves it). `None` when no cluster configuration could be made.
    pub default_namespace: Option<String>,
}

/// One object and the list it came from.
#[derive(Debug, Clone)]
pub struct LiveObject {
    /// The list's URL, the object's origin in findings.
    pub list_url: Arc<str>,
    pub value: Value,
}

/// Items per page.
const PAGE_SIZE: u32 = 500;

/// Pages of one list at most: 500,000 objects, over three times the
/// largest cluster Kubernetes supports (150,000 pods). A server that keeps
/// sending new `continue` tokens is stopped here.
const MAX_PAGES: usize = 1000;

/// Lists at once: enough to hide the round trips, few enough not to flood
/// the API server.
const CONCURRENT_LISTS: usize = 6;

/// Asks for `PartialObjectMetadataList`: names, labels and owners, no data.
const METADATA_ONLY: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/// The annotation `kubectl apply` keeps: a full copy of the applied object,
/// which for a Secret includes its data.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Lists every kind the model uses from the cluster into `builder`.
///
/// Never fails as a whole: an unreachable server or rejected credentials
/// is one error diagnostic naming the cluster, a kind that may not be
/// listed (HTTP 403) or is not served (404) a warning saying what the
/// analysis loses, and a missing custom resource (404 for the admin
/// policy, Route and Gateway API kinds) is skipped silently.
pub fn load_live(source: &LiveSource, options: &LiveOptions, builder: &mut ClusterBuilder) {
    lower_live(read_live(source, options), builder);
}

/// Puts what [`read_live`] read into `builder`, each object with its
/// list's URL as origin.
pub fn lower_live(read: LiveRead, builder: &mut ClusterBuilder) {
    lower_live_into(read, builder);
}

/// [`lower_live`] into any sink (a binary snapshot being made).
pub(crate) fn lower_live_into(read: LiveRead, builder: &mut impl crate::kinds::Sink) {
    for diagnostic in read.diagnostics {
        builder.diagnostic(diagnostic);
    }
    for object in read.objects {
        let origin = Origin { file: Some(object.list_url), ..Origin::default() };
        crate::kinds::lower_document_into(object.value, origin, builder);
    }
}

/// Lists every kind the model uses, without building a cluster (what
/// `kubereach snapshot` writes).
pub fn read_live(source: &LiveSource, options: &LiveOptions) -> LiveRead {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return LiveRead::failed_with("live cluster", String::new(), LiveError::Runtime(error)),
    };
    let mut read = runtime.block_on(read(source, options, &Environment::of_process()));
    // Errors of the HTTP stack may quote the URL they were given.
    for diagnostic in &mut read.diagnostics {
        diagnostic.message = redact_userinfo(&diagnostic.message);
        diagnostic.location.file = diagnostic.location.file.as_deref().map(redact_userinfo);
    }
    read
}

/// One list request: a kind, in one namespace or all of them.
struct Job {
    list: &'static ListKind,
    /// The path below the server URL, without query.
    path: String,
    /// The server URL and the path: where findings about its objects point.
    url: String,
}

/// Why a list stopped.
enum Failure {
    /// Nothing can be listed from this server (unreachable, timed out,
    /// credentials rejected): listing the other kinds would fail the same way.
    Cluster(LiveError),
    /// This kind could not be listed; the others may still be.
    Kind(Diagnostic),
}

async fn read(source: &LiveSource, options: &LiveOptions, environment: &Environment) -> LiveRead {
    let Connection { config, name } = match connect::connect(source, options.timeout, environment).await {
        Ok(connection) => connection,
        Err(message) => {
            return LiveRead::failed_with("live cluster", String::new(), LiveError::Config(message))
        }
    };
    // Origins of objects and findings: no password of the URL in them.
    let base = redact_userinfo(config.cluster_url.to_string().trim_end_matches('/'));
    let default_namespace = config.default_namespace.clone();
    let client = match kube::Client::try_from(config) {
        Ok(client) => client,
        Err(error) => {
            let (cluster, chain) = (name.clone(), error_chain(&error));
            let error = match &error {
                kube::Error::Auth(_) => LiveError::Authentication { cluster, chain },
                _ => LiveError::Client { cluster, chain },
            };
            return LiveRead::failed_with(&name, name.clone(), error);
        }
    };
    let jobs = jobs(&base, &options.namespaces);
    let progress = Progress::new(&name, jobs.len(), options.progress && std::io::stderr().is_terminal());
    let (results, late) = list_every_kind(&client, &name, jobs, options, &progress).await;
    progress.finish();
    let mut read =
        LiveRead { source: name, default_namespace: Some(default_namespace), ..LiveRead::default() };
    let cluster_failure = late.map(|error| (read.source.clone(), error));
    collect_lists(&mut read, results, cluster_failure, options);
    read
}

/// Puts the lists' objects and failures into `read`: one error when the
/// cluster could not be read (not one per kind: they all failed for the
/// same reason), or when no list succeeded.
fn collect_lists(
    read: &mut LiveRead,
    results: Vec<(Job, Result<Vec<Value>, Failure>)>,
    mut cluster_failure: Option<(String, LiveError)>,
    options: &LiveOptions,
) {
    let (lists, mut lists_failed) = (results.len(), 0);
    let mut first_failure: Option<String> = None;
    for (job, result) in results {
        let list_url: Arc<str> = Arc::from(job.url);
        match result {
            Ok(items) => read.objects.extend(
                items.into_iter().map(|value| with_kind(value, job.list)).filter(read_by_the_model).map(
                    |value| LiveObject {
                        list_url: Arc::clone(&list_url),
                        value: sanitize_with(value, options.env_values),
                    },
                ),
            ),
            Err(Failure::Kind(diagnostic)) => {
                lists_failed += 1;
                first_failure.get_or_insert_with(|| diagnostic.message.clone());
                if REQUIRED.contains(&job.list.resource) {
                    let diagnostic = required_kind_failed(read, diagnostic, job.list);
                    read.diagnostics.push(diagnostic);
                } else {
                    read.diagnostics.push(diagnostic);
                }
            }
            Err(Failure::Cluster(error)) => {
                cluster_failure.get_or_insert((list_url.to_string(), error));
            }
        }
    }
    calico::keep_one_calico_form(&mut read.objects);
    gateway_versions::keep_one_gateway_version(&mut read.objects);
    if let Some((url, error)) = cluster_failure {
        read.fail(&url, error);
    } else if lists_failed == lists {
        let error = LiveError::EveryListFailed {
            cluster: read.source.clone(),
            first: first_failure.unwrap_or_default(),
        };
        let source = read.source.clone();
        read.fail(&source, error);
    } else if !options.namespaces.is_empty() {
        read.diagnostics.push(Diagnostic::note(
            at(&read.source),
            format!(
                "read only namespace{} {}: pods elsewhere are unknown, so connections from and to them are not shown",
                if options.namespaces.len() == 1 { "" } else { "s" },
                options.namespaces.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
}

impl LiveRead {
    /// A read that failed before listing anything, at `at`, from `source`.
    fn failed_with(location: &str, source: String, error: LiveError) -> LiveRead {
        let mut read = LiveRead { source, ..LiveRead::default() };
        read.fail(location, error);
        read
    }

    /// Records `error` as why the whole read failed (over a required kind
    /// that failed first: this is the reason), as the first diagnostic, an
    /// error at `location`.
    fn fail(&mut self, location: &str, error: LiveError) {
        self.failed = true;
        self.diagnostics.insert(0, Diagnostic::error(at(location), error.to_string()));
        self.error = Some(error);
    }
}

/// Runs the lists, a few at once, and returns their results in job order.
/// Stops at the first list that shows the cluster cannot be read (the
/// others would fail the same way, each after its own timeout), and at
/// the overall deadline, which is then the error returned beside them.
async fn list_every_kind(
    client: &kube::Client,
    name: &str,
    jobs: Vec<Job>,
    options: &LiveOptions,
    progress: &Progress,
) -> (Vec<(Job, Result<Vec<Value>, Failure>)>, Option<LiveError>) {
    let lists = futures::stream::iter(jobs)
        .map(|job| async move {
            let result = list_all(client, name, &job, options, progress).await;
            progress.list_done();
            (job, result)
        })
        // `buffered`, not `buffer_unordered`: results come back in job order.
        .buffered(CONCURRENT_LISTS);
    let mut results = Vec::new();
    let collect = async {
        futures::pin_mut!(lists);
        while let Some((job, result)) = lists.next().await {
            let cluster_failed = matches!(result, Err(Failure::Cluster(_)));
            results.push((job, result));
            if cluster_failed {
                break;
            }
        }
    };
    // On time out, dropping `collect` cancels the lists still running.
    let late = tokio::time::timeout(options.deadline, collect)
        .await
        .is_err()
        .then(|| LiveError::Deadline { cluster: name.to_owned(), seconds: options.deadline.as_secs_f64() });
    (results, late)
}

/// A required kind that could not be listed: an error, whatever the HTTP
/// status, since every answer would rest on its absence. The read fails.
fn required_kind_failed(read: &mut LiveRead, diagnostic: Diagnostic, list: &ListKind) -> Diagnostic {
    let error = LiveError::RequiredKind { reason: diagnostic.message, resource: list.resource };
    read.failed = true;
    let message = error.to_string();
    read.error.get_or_insert(error);
    Diagnostic::error(diagnostic.location, message)
}

fn jobs(base: &str, namespaces: &[String]) -> Vec<Job> {
    let mut paths = Vec::new();
    for list in KINDS {
        let in_namespace =
            |namespace: &str| format!("{}/namespaces/{namespace}/{}", list.prefix, list.resource);
        match list.scope {
            Scope::Only(namespace) => paths.push((list, in_namespace(namespace))),
            Scope::Namespaced if !namespaces.is_empty() => {
                paths.extend(namespaces.iter().map(|namespace| (list, in_namespace(namespace))));
            }
            _ => paths.push((list, format!("{}/{}", list.prefix, list.resource))),
        }
    }
    paths.into_iter().map(|(list, path)| Job { list, url: format!("{base}/{path}"), path }).collect()
}

fn at(url: &str) -> Location {
    Location::new(Some(url.to_owned()), 0)
}

/// Lists don't repeat each item's kind; metadata-only lists call every item
/// `PartialObjectMetadata`.
fn with_kind(mut value: Value, list: &ListKind) -> Value {
    if let Value::Object(map) = &mut value {
        map.insert("kind".into(), Value::String(list.kind.into()));
        map.insert("apiVersion".into(), Value::String(list.api_version.into()));
    }
    value
}

/// What kubereach keeps of an object read from a cluster, and writes into
/// snapshots: no Secret data (even if a server sent it), no
/// `last-applied-configuration` annotation (for a Secret, a copy of its
/// data; for anything else, a copy of the object), no `managedFields`
/// (bookkeeping of who set which field, often half the object), and no
/// value of a container's environment variable unless the model reads it
/// (database passwords and API keys are often set there).
pub fn sanitize(value: Value) -> Value {
    sanitize_with(value, EnvValues::Dropped)
}

/// [`sanitize`], keeping the values of containers' environment variables
/// when `env_values` is [`EnvValues::Kept`].
pub fn sanitize_with(mut value: Value, env_values: EnvValues) -> Value {
    let Value::Object(map) = &mut value else {
        return value;
    };
    if map.get("kind").and_then(Value::as_str) == Some("Secret") {
        map.remove("data");
        map.remove("stringData");
    }
    if env_values == EnvValues::Dropped {
        drop_environment_values(map);
    }
    if let Some(Value::Object(metadata)) = map.get_mut("metadata") {
        metadata.remove("managedFields");
        if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
            annotations.remove(LAST_APPLIED);
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
    }
    value
}

/// Whether the model reads this object at all: of the ConfigMaps listed
/// (kube-system's), only CoreDNS's; the others (`aws-auth`'s IAM mappings,
/// kubeadm's configuration) are not kept, nor written into a snapshot.
fn read_by_the_model(value: &Value) -> bool {
    if value.get("kind").and_then(Value::as_str) != Some("ConfigMap") {
        return true;
    }
    let metadata = value.get("metadata");
    let field = |name: &str| metadata.and_then(|m| m.get(name)).and_then(Value::as_str);
    kubereach_core::model::config_map_is_read(field("namespace"), field("name"))
}

/// Removes the `value` of every container environment variable the model
/// does not read, in a pod spec at any depth (a Pod's, a workload's
/// template, a CronJob's job template); names and `valueFrom` (which only
/// names a Secret or ConfigMap key) stay.
fn drop_environment_values(map: &mut Map<String, Value>) {
    for (key, value) in map.iter_mut() {
        match value {
            Value::Array(containers)
                if matches!(key.as_str(), "containers" | "initContainers" | "ephemeralContainers") =>
            {
                for container in containers.iter_mut() {
                    let Some(Value::Array(variables)) = container.get_mut("env") else { continue };
                    for variable in variables.iter_mut().filter_map(Value::as_object_mut) {
                        let name = variable.get("name").and_then(Value::as_str).unwrap_or_default();
                        if !kubereach_core::ingress::environment_variables_read().any(|read| read == name) {
                            variable.remove("value");
                        }
                    }
                }
            }
            Value::Object(inner) => drop_environment_values(inner),
            _ => {}
        }
    }
}

/// Lists all pages of one job.
async fn list_all(
    client: &kube::Client,
    name: &str,
    job: &Job,
    options: &LiveOptions,
    progress: &Progress,
) -> Result<Vec<Value>, Failure> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut target = format!("/{}?limit={PAGE_SIZE}", job.path);
        if let Some(token) = &token {
            target.push_str("&continue=");
            target.push_str(&percent_encode(token));
        }
        let Some(page) = get(client, name, job, &target, options).await? else {
            return Ok(items);
        };
        let url = job.url.as_str();
        let Value::Object(mut page) = page else {
            return Err(Failure::Kind(Diagnostic::error(at(url), LiveError::NotAList.to_string())));
        };
        match page.remove("items") {
            Some(Value::Array(page_items)) => {
                progress.objects(job.list.resource, page_items.len());
                items.extend(page_items);
            }
            Some(Value::Null) | None => {}
            Some(_) => {
                return Err(Failure::Kind(Diagnostic::error(
                    at(url),
                    LiveError::ItemsNotAnArray.to_string(),
                )));
            }
        }
        match next_token(&page) {
            // A server repeating its token would loop forever.
            Some(next) if token.as_ref() != Some(&next) => token = Some(next),
            _ => return Ok(items),
        }
    }
    let error =
        LiveError::TooManyPages { resource: job.list.resource, pages: MAX_PAGES, page_size: PAGE_SIZE };
    Err(Failure::Kind(Diagnostic::error(at(&job.url), error.to_string())))
}

fn next_token(page: &Map<String, Value>) -> Option<String> {
    page.get("metadata")
        .and_then(|m| m.get("continue"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// One page; `None` when the kind is an absent custom resource.
async fn get(
    client: &kube::Client,
    name: &str,
    job: &Job,
    target: &str,
    options: &LiveOptions,
) -> Result<Option<Value>, Failure> {
    let (list, url) = (job.list, job.url.as_str());
    let accept = if list.metadata_only { METADATA_ONLY } else { "application/json" };
    let body = match request::get_with_retries(client, target, accept, options.max_response_size).await {
        Ok(body) => body,
        Err(Refused::TooLarge(limit)) => {
            let error = LiveError::TooLarge { resource: list.resource, mib: limit / (1024 * 1024) };
            return Err(Failure::Kind(Diagnostic::error(at(url), error.to_string())));
        }
        Err(Refused::Kube(kube::Error::Api(status))) => {
            return api_error(status.code, &status.message, name, url, list)
        }
        // An exec plugin (`aws eks get-token`, …) or token file that failed:
        // the whole chain, since the root cause alone (`No such file or
        // directory`) does not say which command or file.
        Err(Refused::Kube(kube::Error::Auth(error))) => {
            let (cluster, chain) = (name.to_owned(), error_chain(&error));
            return Err(Failure::Cluster(LiveError::Authentication { cluster, chain }));
        }
        Err(Refused::Kube(error)) => {
            return Err(Failure::Cluster(unreachable(name, &error, options.timeout)))
        }
    };
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|error| Failure::Kind(Diagnostic::error(at(url), LiveError::NotJson(error).to_string())))
}

fn api_error(
    code: u16,
    message: &str,
    name: &str,
    url: &str,
    list: &ListKind,
) -> Result<Option<Value>, Failure> {
    let (resource, weakens) = (list.resource, list.weakens);
    let said = if message.is_empty() { String::new() } else { format!(" ({message})") };
    let error = match code {
        404 if list.optional => return Ok(None),
        401 => return Err(Failure::Cluster(LiveError::Unauthorized { cluster: name.to_owned(), said })),
        403 => LiveError::Forbidden { resource, weakens },
        404 => LiveError::NotServed { resource, group_version: list.api_version, weakens },
        _ => LiveError::Status { resource, code, said, weakens },
    };
    Err(Failure::Kind(Diagnostic::warning(at(url), error.to_string())))
}

/// Why nothing could be read, for an error that is not an HTTP status.
fn unreachable(name: &str, error: &kube::Error, timeout: Duration) -> LiveError {
    let chain = error_chain(error);
    let lower = chain.to_lowercase();
    let reason = if lower.contains("timed out") || lower.contains("timeout") || lower.contains("deadline") {
        format!("no answer within {}s (`--request-timeout`)", timeout.as_secs_f64())
    } else if lower.contains("causedasendentity") {
        // kubectl accepts this certificate when it is the kubeconfig's
        // certificate authority (Go's `crypto/x509` trusts a leaf that is in
        // the root pool); rustls does not, and verification is not weakened.
        format!(
            "TLS verification failed: {}: the server's certificate is a CA certificate (`CA:TRUE`) used as \
             the server's own; kubectl accepts that when it is the kubeconfig's `certificate-authority-data`, \
             kubereach does not: give the API server a certificate signed by that CA (`CA:FALSE`), as \
             kubeadm, k3s and kind do",
            innermost(error)
        )
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        format!(
            "TLS verification failed: {}; the server's certificate must be signed by the cluster's \
             certificate authority (`certificate-authority-data` in the kubeconfig)",
            innermost(error)
        )
    } else {
        innermost(error)
    };
    LiveError::Unreachable { cluster: name.to_owned(), reason }
}

/// The root cause, which says what happened (`Connection refused (os error
/// 111)`, `invalid peer certificate: UnknownIssuer`); the outer layers only
/// say where.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(source) = last.source() {
        last = source;
    }
    let text = last.to_string();
    if text.is_empty() {
        error.to_string()
    } else {
        text
    }
}

/// Percent-encodes a `continue` token for a query string.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A one-line counter on standard error while listing, rewritten in place.
struct Progress {
    enabled: bool,
    name: String,
    lists: usize,
    done: AtomicUsize,
    objects: AtomicUsize,
    /// Objects listed so far per resource (`pods`), for the largest few.
    per_resource: Mutex<BTreeMap<&'static str, usize>>,
    last: Mutex<Option<Instant>>,
}

impl Progress {
    fn new(name: &str, lists: usize, enabled: bool) -> Progress {
        Progress {
            enabled,
            name: name.to_owned(),
            lists,
            done: AtomicUsize::new(0),
            objects: AtomicUsize::new(0),
            per_resource: Mutex::new(BTreeMap::new()),
            last: Mutex::new(None),
        }
    }

    fn objects(&self, resource: &'static str, count: usize) {
        self.objects.fetch_add(count, Ordering::Relaxed);
        if self.enabled && count > 0 {
            let mut per_resource = self.per_resource.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *per_resource.entry(resource).or_default() += count;
        }
        self.draw(false);
    }

    /// `: 1200 pods, 300 replicasets, 80 services`: the three resources with
    /// the most objects so far (more would not fit a terminal's line).
    fn largest(&self) -> String {
        let per_resource = self.per_resource.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut counts: Vec<(usize, &str)> = per_resource.iter().map(|(r, n)| (*n, *r)).collect();
        counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let shown: Vec<String> = counts.iter().take(3).map(|(n, r)| format!("{n} {r}")).collect();
        if shown.is_empty() {
            return String::new();
        }
        format!(": {}", shown.join(", "))
    }

    fn list_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.draw(false);
    }

    fn draw(&self, force: bool) {
        if !self.enabled {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // A terminal redrawn more often than this only flickers.
        if !force && last.is_some_and(|at| at.elapsed() < Duration::from_millis(100)) {
            return;
        }
        *last = Some(Instant::now());
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r\x1b[2Kreading {}: {}/{} lists, {} objects{}",
            self.name,
            self.done.load(Ordering::Relaxed),
            self.lists,
            self.objects.load(Ordering::Relaxed),
            self.largest()
        );
        let _ = stderr.flush();
    }

    fn finish(&self) {
        if self.enabled {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        }
    }
}

/// The kinds listed and the verbs used, for `deploy/rbac.yaml`: `(API
/// group, resource)`, `list` only.
pub fn listed_resources() -> Vec<(&'static str, &'static str)> {
    KINDS
        .iter()
        .map(|list| {
            let group =
                list.prefix.strip_prefix("apis/").and_then(|g| g.split_once('/')).map_or("", |(g, _)| g);
            (group, list.resource)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The progress line names the resources with the most objects so far.
    #[test]
    fn progress_counts_per_resource() {
        let progress = Progress { enabled: false, ..Progress::new("context `x`", 3, false) };
        progress.objects("pods", 5);
        assert_eq!(progress.largest(), "", "counted only when shown");
        let progress = Progress {
            enabled: true,
            last: Mutex::new(Some(Instant::now())),
            ..Progress::new("x", 4, false)
        };
        for (resource, count) in [
            ("pods", 1200),
            ("services", 80),
            ("nodes", 0),
            ("replicasets", 300),
            ("pods", 1),
            ("secrets", 2),
        ] {
            progress.objects(resource, count);
        }
        assert_eq!(progress.largest(), ": 1201 pods, 300 replicasets, 80 services");
    }

    #[test]
    fn continue_tokens_are_percent_encoded() {
        assert_eq!(percent_encode("eyJ2Ijo+/=="), "eyJ2Ijo%2B%2F%3D%3D");
    }

    #[test]
    fn every_modeled_kind_is_one_the_loader_knows() {
        for list in KINDS {
            assert!(
                crate::kinds::target_kind_known(list.kind, list.api_version),
                "{} {}",
                list.kind,
                list.api_version
            );
        }
    }

    #[test]
    fn jobs_follow_the_namespace_filter() {
        let all: Vec<String> = jobs("https://k", &[]).into_iter().map(|j| j.path).collect();
        assert!(all.contains(&"api/v1/pods".to_owned()));
        assert!(all.contains(&"api/v1/namespaces/kube-system/configmaps".to_owned()));
        let some: Vec<String> =
            jobs("https://k", &["a".into(), "b".into()]).into_iter().map(|j| j.path).collect();
        assert!(some.contains(&"api/v1/namespaces/a/pods".to_owned()));
        assert!(some.contains(&"api/v1/namespaces/b/pods".to_owned()));
        assert!(some.contains(&"api/v1/nodes".to_owned()), "cluster-scoped kinds are listed whole");
        assert!(!some.contains(&"api/v1/pods".to_owned()));
    }

    #[test]
    fn sanitize_drops_secret_data_and_bookkeeping() {
        let secret = json!({
            "kind": "Secret", "apiVersion": "v1",
            "metadata": {"name": "db", "managedFields": [{"manager": "kubectl"}],
                         "annotations": {LAST_APPLIED: "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
            "data": {"password": "aHVudGVyMg=="}, "stringData": {"user": "admin"}, "type": "Opaque"
        });
        assert_eq!(
            sanitize(secret),
            json!({"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "db"}, "type": "Opaque"})
        );
        let service = json!({
            "kind": "Service",
            "metadata": {"name": "web", "annotations": {LAST_APPLIED: "{}", "team": "shop"}},
            "data": {"kept": "not a Secret"}
        });
        assert_eq!(
            sanitize(service),
            json!({"kind": "Service", "metadata": {"name": "web", "annotations": {"team": "shop"}},
                   "data": {"kept": "not a Secret"}})
        );
    }

    #[test]
    fn sanitize_keeps_only_the_environment_values_the_model_reads() {
        let deployment = json!({
            "kind": "Deployment",
            "spec": {"template": {"spec": {
                "initContainers": [{"name": "migrate", "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}],
                "containers": [{"name": "kong", "env": [
                    {"name": "CONTROLLER_INGRESS_CLASS", "value": "kong"},
                    {"name": "API_KEY", "value": "s3cr3t"},
                    {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}}
                ]}]
            }}}
        });
        assert_eq!(
            sanitize(deployment),
            json!({
                "kind": "Deployment",
                "spec": {"template": {"spec": {
                    "initContainers": [{"name": "migrate", "env": [{"name": "DB_PASSWORD"}]}],
                    "containers": [{"name": "kong", "env": [
                        {"name": "CONTROLLER_INGRESS_CLASS", "value": "kong"},
                        {"name": "API_KEY"},
                        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}}
                    ]}]
                }}}
            })
        );
    }

    #[test]
    fn only_the_config_maps_the_model_reads_are_kept() {
        let config_map =
            |name: &str| json!({"kind": "ConfigMap", "metadata": {"name": name, "namespace": "kube-system"}});
        assert!(read_by_the_model(&config_map("coredns")));
        assert!(!read_by_the_model(&config_map("aws-auth")));
        assert!(!read_by_the_model(&config_map("kubeadm-config")));
        assert!(read_by_the_model(&json!({"kind": "Pod", "metadata": {"name": "aws-auth"}})));
    }

    #[test]
    fn listed_resources_name_their_api_groups() {
        let resources = listed_resources();
        assert!(resources.contains(&("", "pods")));
        assert!(resources.contains(&("networking.k8s.io", "networkpolicies")));
        assert!(resources.contains(&("policy.networking.k8s.io", "adminnetworkpolicies")));
    }
}
