//! A small random cluster generator for the lab tests: bare Pods with
//! labels and TCP/UDP ports (named and not), Services (named and numbered
//! target ports, some selecting nothing, `Local` internal and external
//! traffic policies over pods placed by `spec.nodeName`), and NetworkPolicies of every form
//! the lab compiles (default deny, pod and namespace selectors alone and
//! together, named ports, `endPort` ranges, `ipBlock` with `except`, egress
//! rules, AdminNetworkPolicies with Allow/Deny/Pass and a
//! BaselineAdminNetworkPolicy), and what cluster DNS answers for: the
//! kube-dns Service and its CoreDNS pod, a headless Service per namespace
//! over a pod with `hostname` and `subdomain`, an ExternalName Service.
//! The same seed gives the same files.

use std::fmt::Write as _;
use std::path::Path;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: small, deterministic, good enough to pick shapes.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const APPS: [&str; 6] = ["web", "api", "db", "cache", "worker", "dns"];
const TIERS: [&str; 3] = ["frontend", "backend", "data"];
const TEAMS: [&str; 2] = ["blue", "green"];

/// Writes a cluster of `pods` pods into `dir`; returns the pod count.
pub fn write(dir: &Path, seed: u64, pods: usize) -> usize {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let namespaces = ["shop", "pay", "ops", "data"];
    let mut out = String::new();
    for (index, namespace) in namespaces.iter().enumerate() {
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n  labels:\n    team: {}\n---\n",
            TEAMS[index % 2]
        );
    }
    for index in 0..pods {
        let namespace = namespaces[rng.below(namespaces.len())];
        let app = APPS[rng.below(APPS.len())];
        let tier = TIERS[rng.below(TIERS.len())];
        let (node, placed) = match rng.below(3) {
            0 => ("  nodeName: node-1\n", "    placed: \"true\"\n"),
            1 => ("  nodeName: node-2\n", "    placed: \"true\"\n"),
            _ => ("", ""),
        };
        let mut ports = String::from("        - name: http\n          containerPort: 8080\n");
        if app == "dns" || rng.below(4) == 0 {
            ports.push_str("        - name: dns\n          containerPort: 5353\n          protocol: UDP\n");
        }
        if rng.below(3) == 0 {
            ports.push_str("        - name: metrics\n          containerPort: 9090\n");
        }
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {app}-{index}\n  namespace: {namespace}\n  labels:\n    app: {app}\n    tier: {tier}\n{placed}spec:\n{node}  containers:\n    - name: main\n      image: example/{app}\n      ports:\n{ports}---\n"
        );
    }
    for namespace in namespaces {
        for app in APPS {
            let target = if rng.below(2) == 0 { "http" } else { "8080" };
            let _ = write!(
                out,
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\n  namespace: {namespace}\nspec:\n  selector:\n    app: {app}\n  ports:\n    - name: http\n      port: 80\n      targetPort: {target}\n    - name: dns\n      port: 53\n      protocol: UDP\n      targetPort: dns\n---\n"
            );
        }
        // A Service whose selector matches nothing: no endpoints.
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: orphan\n  namespace: {namespace}\nspec:\n  selector:\n    app: nothing\n  ports:\n    - port: 80\n---\n"
        );
        let address = 20 + namespaces.iter().position(|n| *n == namespace).unwrap_or(0);
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-np\n  namespace: {namespace}\nspec:\n  type: NodePort\n  selector:\n    app: web\n  ports:\n    - port: 80\n      targetPort: http\n      nodePort: {}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata:\n  name: api-lb\n  namespace: {namespace}\nspec:\n  type: LoadBalancer\n  selector:\n    app: api\n  ports:\n    - port: 80\n      targetPort: 8080\n      nodePort: {}\nstatus:\n  loadBalancer:\n    ingress:\n      - ip: 203.0.113.{address}\n---\n",
            30080 + address,
            30180 + address
        );
        // Local traffic policies, over pods the input places on a node
        // (the lab probes them only where the model knows the placement).
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-local\n  namespace: {namespace}\nspec:\n  internalTrafficPolicy: Local\n  selector:\n    app: web\n    placed: \"true\"\n  ports:\n    - port: 80\n      targetPort: http\n---\n\
             apiVersion: v1\nkind: Service\nmetadata:\n  name: api-local\n  namespace: {namespace}\nspec:\n  type: NodePort\n  externalTrafficPolicy: Local\n  selector:\n    app: api\n    placed: \"true\"\n  ports:\n    - port: 80\n      targetPort: http\n      nodePort: {}\n---\n",
            30280 + address
        );
        for policy in 0..3 {
            out.push_str(&policy_yaml(&mut rng, namespace, policy));
        }
    }
    out.push_str(&admin_policies_yaml(&mut rng));
    out.push_str(&dns_yaml(&namespaces));
    std::fs::write(dir.join("cluster.yaml"), out).unwrap();
    pods
}

fn policy_yaml(rng: &mut Rng, namespace: &str, index: usize) -> String {
    let subject = match rng.below(3) {
        0 => "{}".to_owned(),
        _ => format!("{{matchLabels: {{app: {}}}}}", APPS[rng.below(APPS.len())]),
    };
    let head = format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p{index}\n  namespace: {namespace}\nspec:\n  podSelector: {subject}\n"
    );
    let body = match rng.below(8) {
        0 => "  policyTypes: [Ingress]\n".to_owned(),
        1 => format!(
            "  ingress:\n    - from:\n        - podSelector: {{matchLabels: {{tier: {}}}}}\n      ports:\n        - port: http\n",
            TIERS[rng.below(3)]
        ),
        2 => format!(
            "  ingress:\n    - from:\n        - namespaceSelector: {{matchLabels: {{team: {}}}}}\n      ports:\n        - port: 8000\n          endPort: 8100\n",
            TEAMS[rng.below(2)]
        ),
        3 => format!(
            "  ingress:\n    - from:\n        - namespaceSelector: {{matchLabels: {{team: {}}}}}\n          podSelector: {{matchLabels: {{app: {}}}}}\n",
            TEAMS[rng.below(2)],
            APPS[rng.below(APPS.len())]
        ),
        4 => {
            let (cidr, except) = match rng.below(3) {
                0 => ("10.0.0.0/8", "10.244.0.0/16"),
                1 => ("198.51.100.0/24", "198.51.100.10/32"),
                _ => ("0.0.0.0/0", "192.168.0.0/16"),
            };
            format!("  ingress:\n    - from:\n        - ipBlock: {{cidr: {cidr}, except: [{except}]}}\n")
        }
        5 => "  policyTypes: [Egress]\n".to_owned(),
        6 => format!(
            "  policyTypes: [Egress]\n  egress:\n    - to:\n        - namespaceSelector: {{}}\n          podSelector: {{matchLabels: {{app: {}}}}}\n      ports:\n        - port: dns\n          protocol: UDP\n        - port: 9090\n",
            APPS[rng.below(APPS.len())]
        ),
        _ => "  policyTypes: [Ingress, Egress]\n  ingress:\n    - {}\n  egress:\n    - ports:\n        - port: http\n".to_owned(),
    };
    format!("{head}{body}---\n")
}

/// Two AdminNetworkPolicies (a Pass and an Allow/Deny, by priority) and the
/// BaselineAdminNetworkPolicy `default`, with random subjects and peers.
fn admin_policies_yaml(rng: &mut Rng) -> String {
    let action = |rng: &mut Rng| ["Allow", "Deny", "Pass"][rng.below(3)];
    let team = |rng: &mut Rng| TEAMS[rng.below(2)];
    let app = |rng: &mut Rng| APPS[rng.below(APPS.len())];
    let mut out = String::new();
    let _ = write!(
        out,
        "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata:\n  name: a-first\nspec:\n  priority: 10\n  subject:\n    namespaces: {{matchLabels: {{team: {}}}}}\n  ingress:\n    - action: {}\n      from:\n        - pods:\n            namespaceSelector: {{}}\n            podSelector: {{matchLabels: {{app: {}}}}}\n      ports:\n        - namedPort: http\n  egress:\n    - action: {}\n      to:\n        - namespaces: {{matchLabels: {{team: {}}}}}\n      ports:\n        - portRange: {{protocol: UDP, start: 5000, end: 6000}}\n---\n",
        team(rng),
        action(rng),
        app(rng),
        action(rng),
        team(rng)
    );
    let _ = write!(
        out,
        "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata:\n  name: b-second\nspec:\n  priority: 20\n  subject:\n    pods:\n      namespaceSelector: {{}}\n      podSelector: {{matchLabels: {{app: {}}}}}\n  ingress:\n    - action: {}\n      from:\n        - namespaces: {{}}\n      ports:\n        - portNumber: {{protocol: TCP, port: 9090}}\n---\n",
        app(rng),
        action(rng)
    );
    let baseline = if rng.below(2) == 0 { "Deny" } else { "Allow" };
    let _ = write!(
        out,
        "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata:\n  name: default\nspec:\n  subject:\n    namespaces: {{matchLabels: {{team: {}}}}}\n  ingress:\n    - action: {baseline}\n      from:\n        - namespaces: {{matchLabels: {{team: {}}}}}\n---\n",
        team(rng),
        team(rng)
    );
    out
}

/// Cluster DNS (the kube-dns Service and a CoreDNS pod), and per
/// namespace a headless Service over a pod with `hostname` and
/// `subdomain` (an A record per ready pod and one for the hostname, spec
/// 2.4) and an ExternalName Service (a CNAME, spec 2.5).
fn dns_yaml(namespaces: &[&str]) -> String {
    let mut out = String::from(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: kube-dns\n  namespace: kube-system\nspec:\n  clusterIP: 10.96.0.10\n  selector:\n    k8s-app: kube-dns\n  ports:\n    - name: dns\n      port: 53\n      protocol: UDP\n    - name: dns-tcp\n      port: 53\n      protocol: TCP\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata:\n  name: coredns\n  namespace: kube-system\n  labels:\n    k8s-app: kube-dns\nspec:\n  containers:\n    - name: coredns\n      image: coredns/coredns\n      ports:\n        - name: dns\n          containerPort: 53\n          protocol: UDP\n        - name: dns-tcp\n          containerPort: 53\n---\n",
    );
    for namespace in namespaces {
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: store\n  namespace: {namespace}\nspec:\n  clusterIP: None\n  selector:\n    app: store\n  ports:\n    - name: tcp-store\n      port: 7000\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata:\n  name: store-0\n  namespace: {namespace}\n  labels:\n    app: store\nspec:\n  hostname: store-0\n  subdomain: store\n  containers:\n    - name: store\n      image: example/store\n      ports:\n        - containerPort: 7000\n---\n\
             apiVersion: v1\nkind: Service\nmetadata:\n  name: mail\n  namespace: {namespace}\nspec:\n  type: ExternalName\n  externalName: smtp.example.com\n---\n"
        );
    }
    out
}

/// Writes `ingress.yaml` into `dir`, beside a cluster [`write`] made from
/// the same namespaces: an ingress-nginx controller behind a LoadBalancer
/// Service, its IngressClass, and per namespace Ingresses with TLS (a
/// Secret present, one absent), Prefix and Exact paths, backends by Service
/// port number and name, one naming the pod's port instead (503), one
/// whose Service has no endpoints (503), a wildcard host, a wrong class;
/// plus a namespace whose default-deny policy keeps the controller out
/// (504). Each namespace's random policies decide the rest.
pub fn write_ingress(dir: &Path, seed: u64) {
    let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
    let mut out = String::from(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: edge\n---\n\
         apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\nspec:\n  controller: k8s.io/ingress-nginx\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ingress-nginx-controller\n  namespace: edge\nspec:\n  selector:\n    matchLabels:\n      app: ingress-nginx\n  template:\n    metadata:\n      labels:\n        app: ingress-nginx\n    spec:\n      containers:\n        - name: controller\n          image: registry.k8s.io/ingress-nginx/controller:v1.11.2\n          args: [/nginx-ingress-controller, --ingress-class=nginx]\n          ports:\n            - {name: http, containerPort: 80}\n            - {name: https, containerPort: 443}\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: ingress-nginx-controller\n  namespace: edge\nspec:\n  type: LoadBalancer\n  selector:\n    app: ingress-nginx\n  ports:\n    - {name: http, port: 80, targetPort: http}\n    - {name: https, port: 443, targetPort: https}\nstatus:\n  loadBalancer:\n    ingress:\n      - ip: 203.0.113.50\n---\n",
    );
    for namespace in ["shop", "pay", "ops", "data"] {
        let (app, port) = if rng.below(2) == 0 { ("web", "number: 80") } else { ("api", "name: http") };
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls-{namespace}\n  namespace: {namespace}\ntype: kubernetes.io/tls\n---\n\
             apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: site\n  namespace: {namespace}\nspec:\n  ingressClassName: nginx\n  tls:\n    - hosts: [{namespace}.shop.test]\n      secretName: tls-{namespace}\n    - hosts: [{namespace}.nocert.test]\n      secretName: not-issued-yet\n  rules:\n    - host: {namespace}.shop.test\n      http:\n        paths:\n          - {{path: /app, pathType: Prefix, backend: {{service: {{name: {app}, port: {{{port}}}}}}}}}\n          - {{path: /exact, pathType: Exact, backend: {{service: {{name: api, port: {{name: http}}}}}}}}\n          - {{path: /pod-port, pathType: Exact, backend: {{service: {{name: web, port: {{number: 8080}}}}}}}}\n          - {{path: /orphan, pathType: Prefix, backend: {{service: {{name: orphan, port: {{number: 80}}}}}}}}\n    - host: {namespace}.nocert.test\n      http:\n        paths:\n          - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}\n    - host: \"*.{namespace}.wild.test\"\n      http:\n        paths:\n          - {{path: /, pathType: ImplementationSpecific, backend: {{service: {{name: cache, port: {{name: http}}}}}}}}\n---\n\
             apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: wrong-class\n  namespace: {namespace}\nspec:\n  ingressClassName: nginx-internal\n  rules:\n    - host: {namespace}.wrong.test\n      http:\n        paths:\n          - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}\n---\n"
        );
    }
    out.push_str(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: locked\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata:\n  name: vault\n  namespace: locked\n  labels:\n    app: vault\nspec:\n  containers:\n    - name: main\n      image: example/vault\n      ports:\n        - {name: http, containerPort: 8200}\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: vault\n  namespace: locked\nspec:\n  selector:\n    app: vault\n  ports:\n    - {port: 80, targetPort: http}\n---\n\
         apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: locked\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n---\n\
         apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: vault\n  namespace: locked\nspec:\n  ingressClassName: nginx\n  rules:\n    - host: vault.locked.test\n      http:\n        paths:\n          - {path: /, pathType: Prefix, backend: {service: {name: vault, port: {number: 80}}}}\n---\n",
    );
    std::fs::write(dir.join("ingress.yaml"), out).unwrap();
}
