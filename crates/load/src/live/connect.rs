//! From the user's choice of cluster to a client configuration: a kubeconfig
//! context, an API server URL, or the pod's own service account.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

/// Which cluster to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveSource {
    /// A kubeconfig context, as kubectl chooses it: the file is `path`, else
    /// the files in `KUBECONFIG` (merged), else `~/.kube/config`; the
    /// context is `context`, else the file's `current-context`. With no
    /// kubeconfig at all and no explicit choice, inside a pod, the pod's
    /// service account (in-cluster configuration).
    Kubeconfig { path: Option<PathBuf>, context: Option<String> },
    /// An API server URL, with an optional bearer token: plain HTTP through
    /// `kubectl proxy`, or HTTPS trusted by the system's certificates.
    Server { url: String, token: Option<String> },
}

impl LiveSource {
    /// The current context of the user's kubeconfig.
    pub fn current_context() -> LiveSource {
        LiveSource::Kubeconfig { path: None, context: None }
    }
}

/// A client configuration and how to name it in messages.
pub(super) struct Connection {
    pub config: kube::Config,
    /// `context `prod` (https://…)`, the URL, or `the in-cluster API server (…)`.
    pub name: String,
}

/// The environment the choice depends on, so tests need not change the
/// process environment.
pub(super) struct Environment {
    /// `KUBECONFIG`, split into paths.
    pub kubeconfig: Option<Vec<PathBuf>>,
    /// `~/.kube/config`.
    pub default_path: Option<PathBuf>,
    /// `KUBERNETES_SERVICE_HOST` is set: this process runs in a pod.
    pub in_pod: bool,
}

impl Environment {
    pub fn of_process() -> Environment {
        let kubeconfig = std::env::var_os("KUBECONFIG").map(|value| {
            std::env::split_paths(&value).filter(|p| !p.as_os_str().is_empty()).collect::<Vec<_>>()
        });
        Environment {
            kubeconfig: kubeconfig.filter(|paths| !paths.is_empty()),
            default_path: std::env::home_dir().map(|home| home.join(".kube").join("config")),
            in_pod: std::env::var_os("KUBERNETES_SERVICE_HOST").is_some(),
        }
    }
}

/// Resolves `source` into a client configuration with `timeout` for each
/// request. The error is a complete sentence for the user.
pub(super) async fn connect(
    source: &LiveSource,
    timeout: Duration,
    environment: &Environment,
) -> Result<Connection, String> {
    let mut connection = match source {
        LiveSource::Server { url, token } => server(url, token.as_deref())?,
        LiveSource::Kubeconfig { path, context } => match read_kubeconfig(path.as_deref(), environment)? {
            Some((kubeconfig, described)) => {
                from_kubeconfig(kubeconfig, &described, context.as_deref()).await?
            }
            None if context.is_none() && environment.in_pod => in_cluster()?,
            None => {
                return Err(format!(
                    "no kubeconfig to read: {}; give `--kubeconfig PATH`, or `-f PATH` to read manifests",
                    match &environment.default_path {
                        Some(default) =>
                            format!("`KUBECONFIG` is not set and {} does not exist", default.display()),
                        None => "`KUBECONFIG` is not set and there is no home directory".to_owned(),
                    }
                ));
            }
        },
    };
    connection.name = super::credentials::redact_userinfo(&connection.name);
    let auth_info = &mut connection.config.auth_info;
    if let Some(token) = &auth_info.token {
        let what = match source {
            LiveSource::Server { .. } => "the token from `--token-file`",
            LiveSource::Kubeconfig { .. } => "the kubeconfig user's `token`",
        };
        super::credentials::check_token(secrecy::ExposeSecret::expose_secret(token), what)
            .map_err(|error| format!("cannot authenticate to {}: {error}", connection.name))?;
    }
    super::credentials::run_plugin(auth_info, timeout)
        .map_err(|error| format!("cannot authenticate to {}: {error}", connection.name))?;
    connection.config.connect_timeout = Some(timeout);
    connection.config.read_timeout = Some(timeout);
    connection.config.write_timeout = Some(timeout);
    // 429 and 5xx are retried by `read` itself, a bounded number of times,
    // so that a persistent failure is reported instead of waited on.
    connection.config.default_retry = false;
    Ok(connection)
}

fn server(url: &str, token: Option<&str>) -> Result<Connection, String> {
    let uri: http::Uri = url.parse().map_err(|error| format!("`{url}` is not an API server URL: {error}"))?;
    if uri.scheme().is_none() || uri.host().is_none() {
        return Err(format!(
            "`{url}` is not an API server URL: give it as `https://HOST:PORT` or `http://…`"
        ));
    }
    let mut config = kube::Config::new(uri);
    if let Some(token) = token {
        config.auth_info.token = Some(token.to_owned().into());
    }
    Ok(Connection { config, name: url.trim_end_matches('/').to_owned() })
}

/// The kubeconfig kubectl would read, and how to name it in messages;
/// `None` when there is none.
fn read_kubeconfig(
    path: Option<&Path>,
    environment: &Environment,
) -> Result<Option<(Kubeconfig, String)>, String> {
    let read = |path: &Path| {
        Kubeconfig::read_from(path).map_err(|error| {
            format!("cannot read the kubeconfig {}: {}", path.display(), error_chain(&error))
        })
    };
    if let Some(path) = path {
        return Ok(Some((read(path)?, path.display().to_string())));
    }
    if let Some(paths) = &environment.kubeconfig {
        let mut merged = Kubeconfig::default();
        for path in paths {
            merged = merged.merge(read(path)?).map_err(|error| {
                format!("cannot merge the kubeconfig {}: {}", path.display(), error_chain(&error))
            })?;
        }
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Ok(Some((merged, names.join(", "))));
    }
    match &environment.default_path {
        Some(default) if default.exists() => Ok(Some((read(default)?, default.display().to_string()))),
        _ => Ok(None),
    }
}

async fn from_kubeconfig(
    kubeconfig: Kubeconfig,
    described: &str,
    context: Option<&str>,
) -> Result<Connection, String> {
    let contexts: Vec<String> = kubeconfig.contexts.iter().map(|c| format!("`{}`", c.name)).collect();
    let known = if contexts.is_empty() {
        "it has no contexts".to_owned()
    } else {
        format!("it has {}", contexts.join(", "))
    };
    let Some(name) = context.map(str::to_owned).or_else(|| kubeconfig.current_context.clone()) else {
        return Err(format!(
            "the kubeconfig {described} has no current context: choose one with `--context` ({known})"
        ));
    };
    let Some(named) = kubeconfig.contexts.iter().find(|c| c.name == name) else {
        return Err(format!("context `{name}` is not in the kubeconfig {described}: {known}"));
    };
    let cluster_name = named.context.as_ref().map(|c| c.cluster.clone()).unwrap_or_default();
    let server_url = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .and_then(|c| c.cluster.as_ref())
        .and_then(|c| c.server.clone());
    let options = KubeConfigOptions { context: Some(name.clone()), ..KubeConfigOptions::default() };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options).await.map_err(|error| {
        format!("context `{name}` in the kubeconfig {described} cannot be used: {}", error_chain(&error))
    })?;
    let url = server_url.unwrap_or_else(|| config.cluster_url.to_string());
    Ok(Connection { config, name: format!("context `{name}` ({})", url.trim_end_matches('/')) })
}

fn in_cluster() -> Result<Connection, String> {
    let config = kube::Config::incluster().map_err(|error| {
        format!("cannot use the pod's service account (in-cluster configuration): {}", error_chain(&error))
    })?;
    let url = config.cluster_url.to_string();
    Ok(Connection { config, name: format!("the in-cluster API server ({})", url.trim_end_matches('/')) })
}

/// An error and its causes, `outer: inner: innermost`, without repeats
/// (many errors print their source in their own message too).
pub(super) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECONFIG: &str = r#"
apiVersion: v1
kind: Config
current-context: staging
clusters:
- name: prod-cluster
  cluster:
    server: https://10.0.0.1:6443
- name: staging-cluster
  cluster:
    server: https://10.0.0.2:6443/
contexts:
- name: prod
  context: {cluster: prod-cluster, user: admin}
- name: staging
  context: {cluster: staging-cluster, user: admin, namespace: web}
users:
- name: admin
  user: {token: abc}
"#;

    fn environment(kubeconfig: Option<Vec<PathBuf>>, in_pod: bool) -> Environment {
        Environment { kubeconfig, default_path: Some(PathBuf::from("/nonexistent/.kube/config")), in_pod }
    }

    fn kubeconfig_file(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kubereach-connect-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config");
        std::fs::write(&path, KUBECONFIG).unwrap();
        path
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
    }

    fn try_connect(source: &LiveSource, environment: &Environment) -> Result<Connection, String> {
        block_on(connect(source, Duration::from_secs(3), environment))
    }

    #[test]
    fn the_current_context_is_the_default() {
        let path = kubeconfig_file("current");
        let connection = try_connect(&LiveSource::current_context(), &environment(Some(vec![path]), false))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(connection.name, "context `staging` (https://10.0.0.2:6443)");
        assert_eq!(connection.config.default_namespace, "web");
        assert_eq!(connection.config.read_timeout, Some(Duration::from_secs(3)));
    }

    #[test]
    fn an_explicit_context_and_file_win() {
        let path = kubeconfig_file("explicit");
        let source = LiveSource::Kubeconfig { path: Some(path), context: Some("prod".into()) };
        let connection = try_connect(&source, &environment(None, true)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(connection.name, "context `prod` (https://10.0.0.1:6443)");
        assert_eq!(connection.config.cluster_url.to_string(), "https://10.0.0.1:6443/");
    }

    #[test]
    fn a_missing_context_names_the_ones_there_are() {
        let path = kubeconfig_file("missing");
        let source = LiveSource::Kubeconfig { path: Some(path.clone()), context: Some("qa".into()) };
        let error = try_connect(&source, &environment(None, false)).err().unwrap();
        assert_eq!(
            error,
            format!("context `qa` is not in the kubeconfig {}: it has `prod`, `staging`", path.display())
        );
    }

    #[test]
    fn no_kubeconfig_outside_a_pod_says_where_it_looked() {
        let error = try_connect(&LiveSource::current_context(), &environment(None, false)).err().unwrap();
        assert!(error.starts_with("no kubeconfig to read: `KUBECONFIG` is not set and "), "{error}");
        assert!(error.contains("/nonexistent/.kube/config does not exist"), "{error}");
    }

    #[test]
    fn no_kubeconfig_inside_a_pod_uses_the_service_account() {
        // Outside a real pod the service account's files are absent and the
        // in-cluster configuration fails with its own reason; inside one
        // (CI may run in a pod) it is used.
        match try_connect(&LiveSource::current_context(), &environment(None, true)) {
            Ok(connection) => {
                assert!(connection.name.starts_with("the in-cluster API server ("), "{}", connection.name)
            }
            Err(error) => assert!(
                error.starts_with("cannot use the pod's service account (in-cluster configuration)"),
                "{error}"
            ),
        }
    }

    #[test]
    fn an_unreadable_kubeconfig_names_the_file() {
        let source = LiveSource::Kubeconfig { path: Some("/nonexistent/kubeconfig".into()), context: None };
        let error = try_connect(&source, &environment(None, false)).err().unwrap();
        assert!(error.starts_with("cannot read the kubeconfig /nonexistent/kubeconfig: "), "{error}");
    }

    #[test]
    fn a_server_url_must_be_absolute() {
        let source = LiveSource::Server { url: "localhost:8001".into(), token: None };
        let error = try_connect(&source, &environment(None, false)).err().unwrap();
        assert!(error.contains("`localhost:8001` is not an API server URL"), "{error}");
    }
}
