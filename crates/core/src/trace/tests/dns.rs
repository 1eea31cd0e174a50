//! The `dns` layer: the name resolved from the source pod, and whether it
//! reaches cluster DNS.

use super::*;

// A short name resolves in the pod's own namespace only; `name.namespace`
// from elsewhere (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#namespaces-of-services).
#[test]
fn names_from_another_namespace_need_the_namespace() {
    check(
        base(),
        "web/client",
        "http://api/",
        "pass source\nfail dns\n=> blocked at dns",
        &[
            (Layer::Dns, "`api` does not resolve: no Service of that name in the pod's namespace"),
            (Layer::Dns, "use `api.prod`"),
        ],
    );
    check(
        base(),
        "web/client",
        "http://api-svc.prod/",
        "pass source\nfail dns\n=> blocked at dns",
        &[(Layer::Dns, "use `api.prod`")],
    );
}

// Pods resolve through the DNS Service: egress isolation must allow UDP and
// TCP 53 to its pods
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic).
#[test]
fn egress_default_deny_without_dns() {
    let deny = policy("web", "deny-egress", json!({"podSelector": {}, "policyTypes": ["Egress"]}));
    check(
        with(vec![deny.clone()]),
        "web/client",
        "http://api.prod/",
        "pass source\nfail dns\n=> blocked at dns",
        &[
            (Layer::Dns, "cannot reach cluster DNS `kube-system/kube-dns`: policies deny UDP and TCP 53"),
            (Layer::Dns, "isolated for egress by NetworkPolicy `web/deny-egress`"),
            (Layer::Dns, "to namespace `kube-system` pods `k8s-app=kube-dns` on UDP and TCP 53"),
        ],
    );
    // UDP allowed, TCP not: a warning (truncated answers retry over TCP).
    let udp_only = policy(
        "web",
        "dns",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"protocol": "UDP", "port": 53}]}]}),
    );
    check(
        with(vec![deny.clone(), udp_only]),
        "web/client",
        "http://api.prod/",
        "pass source\nwarn dns\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-egress\n=> blocked at network-policy-egress",
        &[(Layer::Dns, "TCP 53 is denied")],
    );
    // An address needs no DNS.
    check(
        with(vec![deny]),
        "web/client",
        "10.96.1.1:80",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-egress\n=> blocked at network-policy-egress",
        &[(Layer::Dns, "`10.96.1.1` is an address: no lookup")],
    );
}

#[test]
fn dns_server_without_ready_endpoints() {
    let broken = replace(
        base(),
        service(
            "kube-system",
            "kube-dns",
            json!({"clusterIP": "10.96.0.10", "selector": {"k8s-app": "coredns"},
                   "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53}]}),
        ),
    );
    check(
        broken,
        "web/client",
        "http://api.prod/",
        "pass source\nfail dns\n=> blocked at dns",
        &[(Layer::Dns, "cluster DNS `kube-system/kube-dns` has no ready endpoints")],
    );
    // Without the DNS Service in the input, the labelled `kube-system` pods
    // are the DNS pods, judged by the same policies.
    let without: Vec<Value> = base().into_iter().filter(|o| o["metadata"]["name"] != "kube-dns").collect();
    check(
        without,
        "web/client",
        "http://api.prod/",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Dns, "the cluster DNS Service is not in the input: its pods are taken to be the `kube-system` pods")],
    );
}

// `dnsPolicy: Default` uses the node's resolver, which knows no cluster
// names (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy).
#[test]
fn default_dns_policy_does_not_resolve_cluster_names() {
    let mut client = deployment("web", "client", 1, json!([]));
    client["spec"]["template"]["spec"]["dnsPolicy"] = json!("Default");
    check(
        replace(base(), client),
        "web/client",
        "http://api.prod.svc.cluster.local/",
        "pass source\nfail dns\n=> blocked at dns",
        &[(Layer::Dns, "`dnsPolicy: ClusterFirst`")],
    );
}

// Names outside the cluster domain go upstream; only the client's egress applies
// (https://kubernetes.io/docs/tasks/administer-cluster/dns-custom-nameservers/).
#[test]
fn names_outside_the_cluster() {
    check(
        base(),
        "web/client",
        "https://example.com/",
        "pass source\npass dns\npass network-policy-egress\npass cni\n=> allowed",
        &[
            (Layer::Dns, "`example.com` is outside the cluster domain `cluster.local`: cluster DNS forwards it upstream"),
            (Layer::Dns, "query 1: `example.com.web.svc.cluster.local` A → NXDOMAIN"),
            (Layer::Destination, "outside the cluster"),
        ],
    );
    let only_internal = policy(
        "web",
        "internal-only",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": [{"namespaceSelector": {}}]},
            {"to": [{"ipBlock": {"cidr": "192.0.2.0/24"}}], "ports": [{"port": 443}]}]}),
    );
    check(
        with(vec![only_internal]),
        "web/client",
        "https://example.com/",
        "pass source\npass dns\nwarn network-policy-egress\npass cni\n=> allowed",
        &[(Layer::NetworkPolicyEgress, "only to `192.0.2.0/24`")],
    );
}

#[test]
fn dns_server_step_on_its_own() {
    let deny = policy("web", "deny-egress", json!({"podSelector": {}, "policyTypes": ["Egress"]}));
    let cluster = cluster(with(vec![deny]));
    let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
    let client = find_pod(&cluster, "web", "client").unwrap();
    let step = dns_server_step(&cluster, &engine, client);
    assert_eq!(step.status, Status::Fail, "{step:#?}");
    let open = find_pod(&cluster, "prod", "api").unwrap();
    assert_eq!(dns_server_step(&cluster, &engine, open).summary, "the pod reaches cluster DNS");
    assert_eq!(
        find_pod(&cluster, "web", "clinet").unwrap_err().hint().as_deref(),
        Some("did you mean `web/client`?")
    );
}
