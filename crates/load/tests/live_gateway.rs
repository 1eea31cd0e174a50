//! Gateway API kinds read from a live cluster (a fake API server on the
//! loopback interface): TLSRoute at whichever versions the cluster serves,
//! TCPRoute and UDPRoute at `v1alpha2`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kubereach_core::ClusterBuilder;
use kubereach_load::{load_live, LiveOptions, LiveSource};

#[path = "support/fake_api.rs"]
mod fake_api;
use fake_api::{Behaviour, FakeApi, Tls};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gateway-api")
}

// The fixture serves TLSRoute at `v1alpha3` and `v1alpha2` (Gateway API
// v1.2 to v1.4 with the experimental channel) but not at `v1` (404, which
// says nothing: an optional kind's CRD or version may be absent); the route
// is read once, from `v1alpha3`. The TCPRoute and UDPRoute are read too, and
// attach to the Gateway's TCP and UDP listeners.
#[test]
fn tls_tcp_and_udp_routes_are_listed() {
    let api = FakeApi::start(&fixtures(), Behaviour::default(), Tls::None);
    let source = LiveSource::Server { url: format!("{}/", api.url), token: Some("s3cr3t".into()) };
    let mut builder = ClusterBuilder::new();
    load_live(
        &source,
        &LiveOptions { timeout: Duration::from_secs(10), ..LiveOptions::default() },
        &mut builder,
    );
    let cluster = builder.build();
    let diagnostics: Vec<String> = cluster.diagnostics().iter().map(ToString::to_string).collect();
    assert_eq!(diagnostics, Vec::<String>::new());
    let api_objects = cluster.gateway_api();
    let read = |routes: &[kubereach_core::model::Object<kubereach_core::gateway::stream::StreamRoute>]| {
        routes
            .iter()
            .map(|r| {
                let name = r.value.metadata.name.clone().unwrap_or_default();
                (name, r.origin.file.as_deref().unwrap_or_default().replace(&api.url, ""))
            })
            .collect::<Vec<_>>()
    };
    let pair = |name: &str, url: &str| (name.to_owned(), url.to_owned());
    assert_eq!(
        read(&api_objects.tls_routes),
        [pair("db-tls", "/apis/gateway.networking.k8s.io/v1alpha3/tlsroutes")]
    );
    assert_eq!(
        read(&api_objects.tcp_routes),
        [pair("db-tcp", "/apis/gateway.networking.k8s.io/v1alpha2/tcproutes")]
    );
    assert_eq!(
        read(&api_objects.udp_routes),
        [pair("dns", "/apis/gateway.networking.k8s.io/v1alpha2/udproutes")]
    );
    let gateway = &api_objects.gateways[0];
    for (index, kind) in [(0, "TLSRoute"), (1, "TCPRoute"), (2, "UDPRoute")] {
        let attached = kubereach_core::gateway::attach::attached_routes(&cluster, gateway, index);
        let kinds: Vec<&str> = attached.iter().map(|(route, _)| route.kind()).collect();
        assert_eq!(kinds, [kind], "listener {index}");
    }
    let targets: Vec<String> = api.seen().into_iter().map(|s| s.target).collect();
    assert!(
        targets.iter().any(|t| t.starts_with("/apis/gateway.networking.k8s.io/v1/tlsroutes")),
        "{targets:?}"
    );
}
