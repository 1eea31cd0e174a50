//! `kubereach serve`: a local, read-only web page over the same queries as
//! the command line. The server answers a small JSON API ([`api`]) with the
//! documents the CLI writes, and serves a page ([`assets`], embedded in the
//! binary) that only draws them. Every request passes the checks of
//! [`security`].
//!
//! The async runtime stays inside [`Server::run`]; queries run on its
//! blocking threads, on a [`Cluster`] read by a loader the caller gives.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use kubereach_core::check;
use kubereach_core::cni::{PluginOverrides, PolicyView};
use kubereach_core::Cluster;

pub mod api;
pub mod assets;
pub mod classes;
pub mod connections;
pub mod graph;
pub mod policy;
pub mod security;
pub mod snapshot;

/// Reads a version of the cluster: called at start and on each refresh.
/// The error is the message to show (the loader prints the details).
pub type Loader = Box<dyn Fn() -> Result<Cluster, String> + Send + Sync>;

/// A DNS question of `GET /api/dns`: `name` resolved from the pod `from`
/// (`NAMESPACE/NAME`) with query type `query_type` (`A` when empty).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct DnsQuery {
    /// The name (an IP address for `PTR`).
    pub name: String,
    /// The pod or workload that resolves it.
    pub from: String,
    /// `A`, `AAAA`, `SRV`, `PTR` or `CNAME`.
    #[serde(rename = "type", default)]
    pub query_type: String,
}

/// Answers a DNS question with the `kubereach.dns/v1` document, or the
/// reason it cannot. The binary gives it: the document is rendered where
/// `kubereach dns --format json` renders it.
pub type DnsAnswerer = Box<dyn Fn(&Cluster, &DnsQuery) -> Result<serde_json::Value, String> + Send + Sync>;

/// Where the clusters come from.
pub struct Sources {
    /// The cluster shown (the new version in diff mode).
    pub current: Loader,
    /// The old version, in diff mode.
    pub old: Option<Loader>,
    /// Whether `current` reads a live cluster (the page offers a refresh).
    pub live: bool,
    /// What the page calls the source: paths, or the live cluster's name.
    pub name: String,
    /// Answers `GET /api/dns`.
    pub dns: DnsAnswerer,
    /// What the network plugin does, where the flags (`--cni`, …) override
    /// detection: every query of both versions uses it, as the CLI's do.
    pub plugin: PluginOverrides,
    /// The rules of the findings (`.kubereach.yaml` or `--config`), as
    /// `kubereach check` reads them.
    pub rules: check::Config,
    /// Which policies the graph, the matrix, the diff and explanations
    /// evaluate: the kinds the plugin enforces (`Effective`, as `matrix`
    /// and `diff` by default), or every policy as written (`--as-written`).
    /// Traces always evaluate them as written, as `trace` does.
    pub view: PolicyView,
}

/// How to listen.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The address to bind (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Whether a non-loopback address may be used.
    pub allow_remote: bool,
    /// The connection cap and the header-read timeout.
    pub limits: connections::Limits,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A non-loopback address without `--allow-remote`.
    #[error("`{0}` is not a loopback address: the page shows cluster data, pass `--allow-remote` to serve it to other machines")]
    NotLoopback(SocketAddr),
    /// The address could not be bound.
    #[error("cannot listen on {address}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The operating system gave no random bytes for the token.
    #[error("cannot make an access token")]
    Token(#[source] getrandom::Error),
    /// The cluster could not be read.
    #[error("{0}")]
    Load(String),
    /// The runtime or the listener failed.
    #[error("the server stopped")]
    Io(#[source] std::io::Error),
}

/// A bound server with its first reading of the sources, not yet serving.
pub struct Server {
    listener: std::net::TcpListener,
    address: SocketAddr,
    policy: security::Policy,
    app: api::App,
    limits: connections::Limits,
}

/// Reads the sources and binds `options.listen`.
pub fn bind(options: Options, sources: Sources) -> Result<Server, Error> {
    if !options.listen.ip().is_loopback() && !options.allow_remote {
        return Err(Error::NotLoopback(options.listen));
    }
    let snapshot = snapshot::read(&sources).map_err(Error::Load)?;
    let listener = std::net::TcpListener::bind(options.listen)
        .map_err(|source| Error::Bind { address: options.listen, source })?;
    let address = listener.local_addr().map_err(Error::Io)?;
    listener.set_nonblocking(true).map_err(Error::Io)?;
    let token = security::new_token().map_err(Error::Token)?;
    Ok(Server {
        listener,
        address,
        policy: security::Policy::new(address, token),
        app: api::App::new(sources, snapshot),
        limits: options.limits,
    })
}

impl Server {
    /// The address bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The URL to open: the page with the access token.
    pub fn url(&self) -> String {
        let host = if self.address.ip().is_unspecified() {
            format!("127.0.0.1:{}", self.address.port())
        } else {
            self.address.to_string()
        };
        format!("http://{host}/?{}={}", security::TOKEN_PARAMETER, self.policy.token())
    }

    /// Serves until the process ends.
    pub fn run(self) -> Result<(), Error> {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(Error::Io)?;
        let policy = Arc::new(self.policy);
        let router = router(Arc::new(self.app), policy);
        let limits = self.limits;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(self.listener).map_err(Error::Io)?;
            connections::serve(listener, router, limits).await.map_err(Error::Io)
        })
    }
}

/// The routes, behind the security checks.
pub fn router(app: Arc<api::App>, policy: Arc<security::Policy>) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/assets/{*path}", get(assets::asset))
        .route("/api/info", get(api::info))
        .route("/api/graph", get(api::graph))
        .route("/api/matrix", get(api::matrix))
        .route("/api/explain", get(api::explain))
        .route("/api/policy", get(api::policy))
        .route("/api/trace", get(api::trace))
        .route("/api/check", get(api::check))
        .route("/api/dns", get(api::dns))
        .route("/api/diff", get(api::diff))
        .route("/api/refresh", get(api::refresh))
        .with_state(app)
        .layer(axum::middleware::from_fn_with_state(policy, security::guard))
}
