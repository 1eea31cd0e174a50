//! The `endpoints` and `readiness` layers.

use super::*;

// A Service sends to the pods its selector matches
// (https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#does-the-service-have-any-endpointslices).
#[test]
fn selector_typo() {
    let typo = replace(
        base(),
        service(
            "prod",
            "api",
            json!({"clusterIP": "10.96.1.1", "selector": {"app": "apj"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}),
        ),
    );
    check(
        typo,
        "web/client",
        "http://api.prod/",
        "pass source\npass dns\npass service-type\npass service-port\nfail endpoints\n=> blocked at endpoints",
        &[
            (Layer::Endpoints, "the selector `app=apj` of `prod/api` selects no pods in `prod`"),
            (Layer::Endpoints, "Deployment `prod/api` has `app=api`, not `app=apj`"),
            (Layer::Endpoints, "set the selector of `prod/api` to `app=api`"),
        ],
    );
}

// Without a selector, endpoints are managed by hand
// (https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors).
#[test]
fn services_without_selector() {
    let bare = vec![service("prod", "ext", json!({"ports": [{"port": 5432}]}))];
    check(
        with(bare.clone()),
        "web/client",
        "svc/prod/ext:5432",
        "pass source\npass service-type\npass service-port\nfail endpoints\n=> blocked at endpoints",
        &[(Layer::Endpoints, "has no selector, and the input has no EndpointSlices for it")],
    );
    let mut objects = with(bare);
    objects.push(json!({"kind": "EndpointSlice", "metadata": {"name": "ext-1", "namespace": "prod", "labels": {"kubernetes.io/service-name": "ext"}},
                        "addressType": "IPv4", "ports": [{"port": 5432}], "endpoints": [{"addresses": ["192.0.2.40"]}]}));
    check(
        objects,
        "web/client",
        "svc/prod/ext:5432",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass cni\n=> allowed",
        &[(Layer::Endpoints, "from EndpointSlice `ext-1`"), (Layer::Endpoints, "`192.0.2.40` → port 5432")],
    );
}

// ---- readiness ----

// Only ready endpoints receive Service traffic
// (https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions).
#[test]
fn not_ready_pods() {
    let objects = with(vec![
        service(
            "prod",
            "db",
            json!({"clusterIP": "10.96.2.2", "selector": {"app": "db"}, "ports": [{"port": 5432}]}),
        ),
        pod(
            "prod",
            "db-0",
            json!({"app": "db"}),
            json!([{"containerPort": 5432}]),
            "10.244.1.10",
            false,
            "n1",
        ),
        pod(
            "prod",
            "db-1",
            json!({"app": "db"}),
            json!([{"containerPort": 5432}]),
            "10.244.1.11",
            false,
            "n2",
        ),
    ]);
    check(
        objects.clone(),
        "web/client",
        "db.prod:5432",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\nfail readiness\n=> blocked at readiness",
        &[(Layer::Readiness, "0 of 2 endpoints ready"), (Layer::Readiness, "`prod/db-0`: not ready")],
    );
    let mut one_ready = objects.clone();
    one_ready.push(pod(
        "prod",
        "db-2",
        json!({"app": "db"}),
        json!([{"containerPort": 5432}]),
        "10.244.1.12",
        true,
        "n2",
    ));
    check(
        one_ready,
        "web/client",
        "db.prod:5432",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Readiness, "1 of 3 endpoints ready")],
    );
    // publishNotReadyAddresses: every endpoint counts as ready.
    let publish = replace(
        objects,
        service(
            "prod",
            "db",
            json!({"clusterIP": "10.96.2.2", "publishNotReadyAddresses": true, "selector": {"app": "db"}, "ports": [{"port": 5432}]}),
        ),
    );
    check(
        publish,
        "web/client",
        "db.prod:5432",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Readiness, "`publishNotReadyAddresses: true`")],
    );
}

// internalTrafficPolicy/externalTrafficPolicy Local keep traffic on the node
// it arrives at (https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-policies).
#[test]
fn local_traffic_policies() {
    let objects = with(vec![
        node("n1", "192.168.0.11"),
        node("n2", "192.168.0.12"),
        service(
            "prod",
            "cache",
            json!({"type": "NodePort", "clusterIP": "10.96.3.3", "internalTrafficPolicy": "Local", "externalTrafficPolicy": "Local",
                                         "selector": {"app": "cache"}, "ports": [{"port": 6379, "nodePort": 30379}]}),
        ),
        pod(
            "prod",
            "cache-0",
            json!({"app": "cache"}),
            json!([{"containerPort": 6379}]),
            "10.244.2.10",
            true,
            "n2",
        ),
        pod("prod", "caller", json!({"app": "caller"}), json!([]), "10.244.1.20", true, "n1"),
        pod("prod", "neighbour", json!({"app": "caller"}), json!([]), "10.244.2.20", true, "n2"),
    ]);
    check(
        objects.clone(),
        "prod/caller",
        "cache:6379",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\nfail readiness\n=> blocked at readiness",
        &[(Layer::Readiness, "no ready endpoint on node `n1`: the `Local` traffic policy drops the traffic")],
    );
    check(
        objects.clone(),
        "prod/neighbour",
        "cache:6379",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
    check(
        objects.clone(),
        "external",
        "192.168.0.11:30379",
        "pass source\npass service-type\npass service-port\npass endpoints\nfail readiness\n=> blocked at readiness",
        &[(Layer::Readiness, "`externalTrafficPolicy: Local`: node `n1` forwards only to its own endpoints")],
    );
    check(
        objects,
        "external",
        "192.168.0.12:30379",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
}

// Under `internalTrafficPolicy: Local`, only the endpoints on the client's
// node receive its traffic (same reference); the readiness summary counts
// them, the verb agreeing with the count.
#[test]
fn local_traffic_policy_counts_the_endpoints_on_the_node() {
    let cache = |name: &str, ip: &str, node: &str| {
        pod("prod", name, json!({"app": "cache"}), json!([{"containerPort": 6379}]), ip, true, node)
    };
    let objects = with(vec![
        service(
            "prod",
            "cache",
            json!({"clusterIP": "10.96.3.3", "internalTrafficPolicy": "Local", "selector": {"app": "cache"},
                   "ports": [{"port": 6379}]}),
        ),
        cache("cache-0", "10.244.1.10", "n1"),
        cache("cache-1", "10.244.2.10", "n2"),
        cache("cache-2", "10.244.2.11", "n2"),
        pod("prod", "caller", json!({"app": "caller"}), json!([]), "10.244.1.20", true, "n1"),
        pod("prod", "neighbour", json!({"app": "caller"}), json!([]), "10.244.2.20", true, "n2"),
    ]);
    let allowed = "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed";
    check(
        objects.clone(),
        "prod/caller",
        "cache:6379",
        allowed,
        &[(Layer::Readiness, "3 of 3 endpoints ready; 1 receives on the node")],
    );
    check(
        objects,
        "prod/neighbour",
        "cache:6379",
        allowed,
        &[(Layer::Readiness, "3 of 3 endpoints ready; 2 receive on the node")],
    );
}

// Terminating endpoints receive traffic only when no endpoint is ready and
// they still serve
// (https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-to-terminating-endpoints).
#[test]
fn terminating_endpoints_as_a_fallback() {
    let mut leaving = pod(
        "prod",
        "db-0",
        json!({"app": "db"}),
        json!([{"containerPort": 5432}]),
        "10.244.1.10",
        true,
        "n1",
    );
    leaving["metadata"]["deletionTimestamp"] = json!("2024-05-01T10:00:00Z");
    let objects = with(vec![
        service(
            "prod",
            "db",
            json!({"clusterIP": "10.96.2.2", "selector": {"app": "db"}, "ports": [{"port": 5432}]}),
        ),
        leaving,
    ]);
    check(
        objects,
        "web/client",
        "db.prod:5432",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\nwarn readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Readiness, "no endpoint is ready: traffic goes to 1 terminating endpoint still serving")],
    );
}
