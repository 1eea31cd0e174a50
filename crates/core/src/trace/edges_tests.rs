//! Traces at the edges of Services and Ingress controllers: the source
//! address after a node's SNAT, load balancers without an address or with
//! source ranges, host ports, and what each ingress controller does where
//! the Ingress API leaves it open. Each test cites its documentation.

use serde_json::{json, Value};

use super::{check, ingress, ingress_objects, node, pod, policy, rule, service, with};
use crate::trace::Layer;

/// `prod/lb`, a provisioned `LoadBalancer` in front of `app: api`, with
/// `extra` merged into its spec; two nodes.
fn balanced(extra: Value) -> Vec<Value> {
    let mut spec = json!({"type": "LoadBalancer", "selector": {"app": "api"},
                          "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}]});
    for (key, value) in extra.as_object().into_iter().flatten() {
        spec[key] = value.clone();
    }
    let mut lb = service("prod", "lb", spec);
    lb["status"] = json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}});
    vec![lb, node("n1", "192.168.0.11"), node("n2", "192.168.0.12")]
}

fn office_only(cidr: &str) -> Value {
    policy(
        "prod",
        "office",
        json!({"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [{"from": [{"ipBlock": {"cidr": cidr}}]}]}),
    )
}

// externalTrafficPolicy: Cluster "obscures the client source IP": the node
// SNATs it, so the NetworkPolicy on the pod sees the node's address
// (https://kubernetes.io/docs/tutorials/services/source-ip/; the
// NetworkPolicy page: "the source IP … may be the IP of a LoadBalancer or of
// the Pod's node"). `Local` keeps the client's address.
#[test]
fn cluster_traffic_policy_hides_the_client_from_ip_blocks() {
    let mut objects = with(balanced(json!({})));
    objects.push(office_only("198.51.100.0/24"));
    check(
        objects.clone(),
        "external:198.51.100.9",
        "203.0.113.10:80",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[
            // Either node may receive it from the load balancer: each is judged.
            (Layer::Readiness, "each judged: `192.168.0.11` (node `n1`), `192.168.0.12` (node `n2`)"),
            (Layer::NetworkPolicyIngress, "`ipBlock` `192.168.0.11/32`, `192.168.0.12/32`"),
        ],
    );
    // The node addresses are what an ipBlock must name.
    let mut objects = with(balanced(json!({})));
    objects.push(office_only("192.168.0.0/24"));
    check(
        objects,
        "external:198.51.100.9",
        "203.0.113.10:80",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
    // `Local` keeps the client's address: its ipBlock matches.
    let mut objects = with(balanced(json!({"externalTrafficPolicy": "Local"})));
    objects.push(office_only("198.51.100.0/24"));
    check(
        objects,
        "external:198.51.100.9",
        "203.0.113.10:80",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Readiness, "the client's address is kept")],
    );
}

// On a node port, the receiving node is the one the client named.
#[test]
fn node_port_snat_uses_the_receiving_node() {
    let mut objects = with(balanced(json!({})));
    objects.push(office_only("192.168.0.12/32"));
    check(
        objects.clone(),
        "external",
        "192.168.0.12:30080",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Readiness, "`192.168.0.12` (node `n2`)")],
    );
    check(
        objects,
        "external",
        "192.168.0.11:30080",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[],
    );
}

// "If you set allocateLoadBalancerNodePorts to false … node ports are not
// allocated" (https://kubernetes.io/docs/concepts/services-networking/service/#load-balancer-nodeport-allocation):
// a pending load balancer then has no way in.
#[test]
fn pending_load_balancer_without_node_ports() {
    let lb = json!({"kind": "Service", "metadata": {"name": "lb", "namespace": "prod"},
                    "spec": {"type": "LoadBalancer", "allocateLoadBalancerNodePorts": false,
                             "selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080}]},
                    "status": {"loadBalancer": {}}});
    check(
        with(vec![lb]),
        "external",
        "svc/prod/lb:80",
        "pass source\nfail service-type\n=> blocked at service-type",
        &[
            (Layer::ServiceType, "no node port (`allocateLoadBalancerNodePorts: false`)"),
            (Layer::ServiceType, "install a load-balancer provisioner"),
        ],
    );
}

// loadBalancerSourceRanges: "traffic through the cloud-provider
// load-balancer will be restricted to the specified client IPs"
// (API reference, ServiceSpec).
#[test]
fn clients_outside_source_ranges_are_dropped() {
    let objects = with(balanced(json!({"loadBalancerSourceRanges": ["198.51.100.0/24"]})));
    check(
        objects.clone(),
        "external:203.0.113.99",
        "203.0.113.10:80",
        "pass source\nfail service-type\n=> blocked at service-type",
        &[(Layer::ServiceType, "`203.0.113.99` is outside the `loadBalancerSourceRanges` of `prod/lb`")],
    );
    check(
        objects.clone(),
        "external:198.51.100.9",
        "svc/prod/lb:80",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::ServiceType, "within `198.51.100.0/24`")],
    );
    check(
        objects,
        "external",
        "203.0.113.10:80",
        "pass source\nwarn service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::ServiceType, "only clients within `loadBalancerSourceRanges`")],
    );
}

// portmap forwards a hostPort on the pod's node to the pod
// (https://www.cni.dev/plugins/current/meta/portmap/; "hostPort" in the
// Container API reference): reachable at that node's address only.
#[test]
fn host_ports_answer_on_their_node() {
    let objects = with(vec![
        node("n1", "192.168.0.11"),
        node("n2", "192.168.0.12"),
        pod(
            "prod",
            "agent",
            json!({"app": "agent"}),
            json!([{"containerPort": 9000, "hostPort": 8000}]),
            "10.244.1.5",
            true,
            "n1",
        ),
    ]);
    check(
        objects.clone(),
        "external",
        "192.168.0.11:8000",
        "pass source\npass service-type\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::ServiceType, "binds `hostPort` `8000`"), (Layer::ServiceType, "container port 9000")],
    );
    check(
        objects,
        "external",
        "192.168.0.12:8000",
        "pass source\nfail service-type\n=> blocked at service-type",
        &[(Layer::ServiceType, "no `NodePort` or `LoadBalancer` Service uses node port `8000`")],
    );
}

/// The ingress-nginx objects with the controller's `LoadBalancer` Service
/// (80 and 443, as its own install has it).
fn nginx_with_service(extra: Vec<Value>) -> Vec<Value> {
    let mut objects = ingress_objects(extra);
    let mut controller = service(
        "ingress-nginx",
        "ingress-nginx-controller",
        json!({"type": "LoadBalancer", "selector": {"app.kubernetes.io/name": "ingress-nginx"},
               "ports": [{"name": "http", "port": 80, "targetPort": "http"}, {"name": "https", "port": 443, "targetPort": "https"}]}),
    );
    controller["status"] = json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}});
    objects.push(controller);
    objects
}

// The controller is reached only on the ports its Service exposes
// (https://kubernetes.github.io/ingress-nginx/deploy/: the Service publishes 80 and 443).
#[test]
fn ingress_hosts_answer_only_on_the_controllers_ports() {
    let shop = ingress(
        "shop",
        json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    );
    check(
        nginx_with_service(vec![shop.clone()]),
        "external",
        "http://shop.example.com:8080/",
        "pass source\npass dns\nfail ingress-class\n=> blocked at ingress-class",
        &[
            (Layer::IngressClass, "listens outside the cluster on TCP 80, 443 only, not on 8080"),
            (
                Layer::IngressClass,
                "`LoadBalancer` `ingress-nginx/ingress-nginx-controller` exposes TCP 80, 443",
            ),
        ],
    );
    check(
        nginx_with_service(vec![shop]),
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
}

// ingress-nginx: "By default the controller redirects (308) to HTTPS if TLS
// is enabled for that ingress"; the ssl-redirect annotation turns it off
// (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#server-side-https-enforcement-through-redirect).
#[test]
fn ingress_nginx_redirects_http_to_https() {
    let secret = json!({"kind": "Secret", "metadata": {"name": "shop-tls", "namespace": "prod"}, "type": "kubernetes.io/tls"});
    let mut shop = ingress(
        "shop",
        json!({"tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
               "rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    );
    check(
        nginx_with_service(vec![shop.clone(), secret.clone()]),
        "external",
        "http://shop.example.com/cart",
        "pass source\npass dns\npass ingress-class\nwarn ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::IngressRule, "HTTP gets a 308 redirect to `https://shop.example.com/cart`")],
    );
    // Redirected to HTTPS, the request meets the certificate: without the
    // Secret, the controller's self-signed default one.
    check(
        nginx_with_service(vec![shop.clone()]),
        "external",
        "http://shop.example.com/cart",
        "pass source\npass dns\npass ingress-class\nwarn ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[
            (Layer::IngressRule, "HTTP gets a 308 redirect"),
            (Layer::IngressRule, "the controller serves HTTPS with its default self-signed certificate"),
        ],
    );
    shop["metadata"]["annotations"] = json!({"nginx.ingress.kubernetes.io/ssl-redirect": "false"});
    check(
        nginx_with_service(vec![shop, secret]),
        "external",
        "http://shop.example.com/cart",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
}

// ingress-nginx makes an Ingress's defaultBackend the catch-all only when
// the Ingress has no rules ("defines a backend but no rule. Using it to
// configure the catch-all server", controller.go); another host gets the
// controller's default backend, a 404
// (https://kubernetes.github.io/ingress-nginx/user-guide/default-backend/).
#[test]
fn ingress_nginx_default_backend_with_rules_is_no_catch_all() {
    let site = ingress(
        "site",
        json!({"defaultBackend": {"service": {"name": "api", "port": {"number": 80}}},
               "rules": [rule("main.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    );
    check(
        nginx_with_service(vec![site]),
        "external",
        "http://other.example.com/",
        "pass source\npass dns\npass ingress-class\nfail ingress-rule\n=> blocked at ingress-rule",
        &[
            (Layer::IngressRule, "the controller's default backend answers (404)"),
            (Layer::IngressRule, "the `defaultBackend` of `prod/site` is no catch-all on this controller"),
        ],
    );
}

// The controller's own `LoadBalancer` gets an address only from a
// provisioner the input shows; the trace never claims one
// (https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer).
#[test]
fn controller_load_balancer_without_provisioner_is_said_pending() {
    let shop = ingress(
        "shop",
        json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    );
    let mut objects = nginx_with_service(vec![shop]);
    let controller = objects.last_mut().expect("the controller's Service");
    controller.as_object_mut().expect("an object").remove("status");
    check(
        objects,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Dns, "gets no address: the input shows no load-balancer provisioner, so only its node ports work")],
    );
}
