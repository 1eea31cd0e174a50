//! The `ingress-class` and `ingress-rule` layers, from outside through an
//! Ingress controller.

use super::*;

// External → Ingress host → controller → backend Service's pods, with the
// controller as the policy source
// (https://kubernetes.io/docs/concepts/services-networking/ingress/).
#[test]
fn external_through_an_ingress() {
    let objects = ingress_objects(vec![ingress(
        "shop",
        json!({"rules": [rule("shop.example.com", "/api", "Prefix", "api", json!({"number": 80}))]}),
    )]);
    check(
        objects.clone(),
        "external",
        "http://shop.example.com/api/users",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[
            (Layer::IngressClass, "`prod/shop` has `nginx` (from the default IngressClass), served by ingress-nginx"),
            (Layer::IngressRule, "host `shop.example.com` path `/api` of `prod/shop` matches `/api/users`"),
            (Layer::NetworkPolicyEgress, "`ingress-nginx/ingress-nginx-controller`"),
        ],
    );
    let steps = run(objects, "external", "http://shop.example.com/api", None, Protocol::Tcp).steps;
    let layers: Vec<Layer> = steps.iter().map(|s| s.layer).collect();
    assert_eq!(&layers[..4], &[Layer::Source, Layer::Dns, Layer::IngressClass, Layer::IngressRule]);
    // The backend pods must admit the controller's pods.
    let deny = policy("prod", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
    check(
        ingress_objects(vec![ingress("shop", json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"name": "http"}))]})), deny]),
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[(Layer::NetworkPolicyIngress, "from namespace `ingress-nginx` pods `app.kubernetes.io/name=ingress-nginx` on TCP 8080 (`http`)")],
    );
}

// Without ingressClassName and without a default IngressClass, no
// controller takes the Ingress
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#default-ingress-class).
#[test]
fn ingress_without_a_class_and_several_controllers() {
    let mut objects = ingress_objects(vec![
        json!({"kind": "IngressClass", "metadata": {"name": "traefik"}, "spec": {"controller": "traefik.io/ingress-controller"}}),
        ingress(
            "shop",
            json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
        ),
    ]);
    objects = replace(
        objects,
        json!({"kind": "IngressClass", "metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}}),
    );
    check(
        objects,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\nfail ingress-class\n=> blocked at ingress-class",
        &[
            (
                Layer::IngressClass,
                "names no class, no IngressClass is the default, and 2 controllers could serve it",
            ),
            (Layer::IngressClass, "set `spec.ingressClassName` to `nginx` or `traefik`"),
        ],
    );
    let misspelt = ingress_objects(vec![ingress(
        "shop",
        json!({"ingressClassName": "ngnix", "rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    )]);
    check(
        misspelt,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\nfail ingress-class\n=> blocked at ingress-class",
        &[(Layer::IngressClass, "did you mean `nginx`?")],
    );
}

// Exact matches the path exactly; Prefix matches by path element
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#path-types).
#[test]
fn exact_versus_prefix() {
    let objects = ingress_objects(vec![
        ingress(
            "admin",
            json!({"rules": [rule("admin.example.com", "/", "Exact", "frontend-svc", json!({"number": 80}))]}),
        ),
        service(
            "prod",
            "frontend-svc",
            json!({"selector": {"app": "frontend"}, "ports": [{"port": 80, "targetPort": "web"}]}),
        ),
    ]);
    check(
        objects.clone(),
        "external",
        "http://admin.example.com/users",
        "pass source\npass dns\npass ingress-class\nfail ingress-rule\n=> blocked at ingress-rule",
        &[
            (Layer::IngressRule, "no path of host `admin.example.com` matches `/users`: the controller's default backend answers (404)"),
            (Layer::IngressRule, "use `pathType: Prefix` for `/` in `prod/admin`"),
        ],
    );
    check(
        objects,
        "external",
        "http://admin.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
}

// `*.foo.com` matches exactly one more DNS label
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#hostname-wildcards).
#[test]
fn wildcard_hosts() {
    let objects = ingress_objects(vec![ingress(
        "shop",
        json!({"rules": [rule("*.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    )]);
    check(
        objects.clone(),
        "external",
        "http://eu.shop.example.com/",
        "pass source\npass dns\nfail ingress-rule\n=> blocked at ingress-rule",
        &[(Layer::IngressRule, "`*.example.com` of `prod/shop` matches exactly one label before `example.com`: not `eu.shop.example.com`")],
    );
    check(
        objects.clone(),
        "external",
        "http://example.com/",
        "pass source\npass dns\nfail ingress-rule\n=> blocked at ingress-rule",
        &[(Layer::IngressRule, "no Ingress rule matches host `example.com`")],
    );
    check(
        objects,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
}

// An Ingress backend names a Service port, not a container port
// (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/#IngressBackend).
#[test]
fn ingress_backend_names_the_container_port() {
    let objects = ingress_objects(vec![ingress(
        "shop",
        json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 8080}))]}),
    )]);
    check(
        objects,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\npass ingress-class\nfail ingress-rule\n=> blocked at ingress-rule",
        &[
            (
                Layer::IngressRule,
                "backend port `8080` is a container port of the pods, not a port of `prod/api`",
            ),
            (Layer::IngressRule, "set the backend's port to 80 (`http`)"),
        ],
    );
}

// HTTPS needs a `spec.tls` entry with a kubernetes.io/tls Secret
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#tls);
// cert-manager creates it from an issuer annotation
// (https://cert-manager.io/docs/usage/ingress/).
#[test]
fn ingress_tls() {
    let plain = ingress(
        "shop",
        json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    );
    check(
        ingress_objects(vec![plain]),
        "external",
        "https://shop.example.com/",
        "pass source\npass dns\npass ingress-class\nwarn ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[
            (Layer::IngressRule, "no `spec.tls` entry of `prod/shop` covers `shop.example.com`"),
            (Layer::IngressRule, "default self-signed certificate, so clients that verify certificates fail"),
        ],
    );
    let mut managed = ingress(
        "shop",
        json!({"tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
                                             "rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    );
    managed["metadata"]["annotations"] = json!({"cert-manager.io/cluster-issuer": "letsencrypt"});
    check(
        ingress_objects(vec![managed.clone()]),
        "external",
        "https://shop.example.com/",
        "pass source\npass dns\npass ingress-class\nwarn ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::IngressRule, "cert-manager creates it from ClusterIssuer `letsencrypt`")],
    );
    let secret = json!({"kind": "Secret", "metadata": {"name": "shop-tls", "namespace": "prod"}, "type": "kubernetes.io/tls"});
    check(
        ingress_objects(vec![managed, secret]),
        "external",
        "https://shop.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::IngressRule, "TLS: Secret `shop-tls`")],
    );
}

// A cloud load balancer (GCE) is the controller: it runs outside the
// cluster, so the backend pods see traffic from outside
// (https://cloud.google.com/kubernetes-engine/docs/concepts/ingress).
#[test]
fn out_of_cluster_controllers_connect_from_outside() {
    let objects = with(vec![
        json!({"kind": "IngressClass", "metadata": {"name": "gce"}, "spec": {"controller": "k8s.io/ingress-gce"}}),
        ingress(
            "shop",
            json!({"ingressClassName": "gce", "rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
        ),
        policy(
            "prod",
            "same-namespace",
            json!({"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}),
        ),
    ]);
    check(
        objects,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[
            (Layer::IngressClass, "a load balancer outside the cluster"),
            (Layer::NetworkPolicyEgress, "the client is outside the cluster"),
            (Layer::NetworkPolicyIngress, "`ipBlock` `0.0.0.0/0`"),
        ],
    );
}

// An in-cluster controller whose pods are not in the input: a policy may
// admit them by labels the trace cannot see, so a denial only warns.
#[test]
fn controller_pods_missing() {
    let objects: Vec<Value> = ingress_objects(vec![
        ingress("shop", json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]})),
        policy("prod", "from-nginx", json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}]})),
    ])
    .into_iter()
    .filter(|o| o["metadata"]["name"] != "ingress-nginx-controller")
    .collect();
    check(
        objects,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\nwarn ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\nwarn network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[
            (Layer::IngressClass, "the input has no pods of the ingress-nginx controller"),
            (Layer::NetworkPolicyIngress, "unless a rule admits the controller's pods, which are not in the input"),
        ],
    );
}

// No rule path matches, but an Ingress of the class has a defaultBackend
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#default-backend).
#[test]
fn default_backends_answer_the_rest() {
    let objects = ingress_objects(vec![ingress(
        "shop",
        json!({"defaultBackend": {"service": {"name": "api", "port": {"number": 80}}},
               "rules": [rule("shop.example.com", "/admin", "Exact", "api", json!({"number": 80}))]}),
    )]);
    check(
        objects,
        "external",
        "http://shop.example.com/other",
        "pass source\npass dns\npass ingress-class\nwarn ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::IngressRule, "no rule path matches `/other`: the `defaultBackend` of `prod/shop` answers")],
    );
}
