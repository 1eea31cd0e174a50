//! `lab probe`'s Ingress requests: every host and path of every Ingress
//! (its wrong-class ones included) requested from the `external`
//! namespace with the real `curl`, through the controller's LoadBalancer
//! address (or a node port), never real DNS (`--connect-to`), compared
//! with the model.
//!
//! The prediction is the core's `trace` from `external` to the URL (the
//! same walk `kubereach trace external https://HOST/PATH` prints): allowed
//! is a 200 answered by a pod of the backend Service; blocked by the
//! Ingress class or rules is the controller's 404 (503 when the rule's
//! backend Service or port does not exist, as ingress-nginx answers); at
//! a Service layer (no endpoints) 503; by a policy (the controller cannot
//! connect) 504; by the destination (nothing listens) 502. Plain HTTP to a
//! host a `spec.tls` entry covers is redirected (308) as the core's
//! `ingress::behaviour::plain_http` says. Over HTTPS the certificate must be
//! the lab CA's exactly when the core's `check_tls` finds the Secret, else
//! the controller's fake one.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use kubereach_core::ingress;
use kubereach_core::model::PodId;
use kubereach_core::policy::PolicyEngine;
use kubereach_core::ports::Protocol;
use kubereach_core::trace::{
    self, Layer, Scheme as UrlScheme, TraceDestination, TraceOptions, TraceSource, Verdict,
};
use kubereach_core::Cluster;

use crate::ingress_controller::controller_pods;
use crate::ingress_route::{certificate_for, decide, Decision, Scheme};
use crate::plan::Plan;
use crate::probe::{Disagreement, ProbeReport, Skipped};

/// Requests running at once.
const PARALLEL: usize = 16;
/// The most requests one `lab probe` sends; the rest are skipped.
pub const MAX_REQUESTS: usize = 2000;

/// One request to send from `external`.
#[derive(Debug, Clone)]
pub struct Request {
    /// The URL, `http[s]://HOST/PATH`.
    pub url: String,
    /// Its host.
    pub host: String,
    /// Its scheme.
    pub scheme: Scheme,
    /// Where the controller is reached: address and port (`--connect-to`).
    pub via: (std::net::Ipv4Addr, u16),
    /// The network namespace it is sent from.
    pub netns: String,
    /// The model's prediction.
    pub expected: Answer,
    /// The model's reasoning: the trace's deciding step.
    pub explanation: String,
}

/// What a request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status; 0 when the request failed.
    pub status: u16,
    /// The pods that may answer a 200 (any one of them); for an observed
    /// answer, the one that did.
    pub answerers: Vec<String>,
    /// Over HTTPS: whether the certificate was the lab CA's (`Some(false)`:
    /// the controller's fake one).
    pub lab_certificate: Option<bool>,
    /// Why the request failed, when it did (observed only).
    pub error: Option<String>,
}

impl Answer {
    /// How the report writes it.
    pub fn describe(&self) -> String {
        let mut text = match (&self.error, self.status) {
            (Some(error), _) => format!("error: {error}"),
            (None, 200) => format!("200 from {}", self.answerers.join(" or ")),
            (None, status) => status.to_string(),
        };
        match self.lab_certificate {
            Some(true) => text.push_str(", lab CA certificate"),
            Some(false) => text.push_str(", fake certificate"),
            None => {}
        }
        text
    }

    /// The row or column of the report's table.
    pub fn class(&self) -> String {
        if self.error.is_some() {
            return "error".to_owned();
        }
        self.status.to_string()
    }

    fn agrees_with(&self, expected: &Answer) -> bool {
        self.error.is_none()
            && self.status == expected.status
            && self.lab_certificate == expected.lab_certificate
            && (self.status != 200 || self.answerers.iter().all(|a| expected.answerers.contains(a)))
    }
}

/// The rows and columns of the human report's Ingress table.
pub const CLASSES: [&str; 8] = ["200", "308", "404", "502", "503", "504", "other", "error"];

/// The row or column `class` falls in.
pub fn table_class(class: &str) -> &'static str {
    CLASSES.iter().find(|c| **c == class).copied().unwrap_or("other")
}

/// The requests of `plan`, each with the model's prediction.
pub fn plan_requests(
    cluster: &Cluster,
    engine: &PolicyEngine<'_>,
    plan: &Plan,
) -> (Vec<Request>, Vec<Skipped>) {
    let mut skipped = Vec::new();
    let urls = urls(cluster);
    if urls.is_empty() {
        return (Vec::new(), skipped);
    }
    let controllers = controller_pods(cluster, plan);
    let Some((controller, _)) = controllers.first() else {
        skipped.push(Skipped {
            what: format!("{} Ingress requests", urls.len()),
            reason: "no ingress controller pod in the lab serves the Ingresses' classes".into(),
        });
        return (Vec::new(), skipped);
    };
    let controller = PodId(controller.pod);
    let mut requests = Vec::new();
    for (scheme, host, path) in urls {
        let url = format!("{}://{host}{path}", if scheme == Scheme::Https { "https" } else { "http" });
        let Some(via) = exposure(plan, controller, scheme) else {
            skipped.push(Skipped {
                what: format!("external -> {url}"),
                reason: "the ingress controller's port is not exposed by a LoadBalancer or NodePort Service"
                    .into(),
            });
            continue;
        };
        if requests.len() == MAX_REQUESTS {
            skipped.push(Skipped {
                what: format!("external -> {url}"),
                reason: "too many Ingress requests".into(),
            });
            continue;
        }
        let (expected, explanation) = predict(cluster, engine, plan, controller, scheme, &host, &path);
        let netns = plan.topology.external.clone();
        requests.push(Request { url, host, scheme, via, netns, expected, explanation });
    }
    (requests, skipped)
}

/// Every `(scheme, host, path)` to request: each rule path of each
/// Ingress, and one element deeper (Prefix against Exact), over HTTP, and
/// over HTTPS too where a `spec.tls` entry covers the host; wildcard hosts
/// get one name they match, rules without host one name of the lab's.
fn urls(cluster: &Cluster) -> BTreeSet<(Scheme, String, String)> {
    let mut urls = BTreeSet::new();
    for object in cluster.ingresses() {
        let spec = object.value.spec.clone().unwrap_or_default();
        for rule in spec.rules.unwrap_or_default() {
            let host = match rule.host.as_deref() {
                None | Some("") => "any-host.kubereach.test".to_owned(),
                Some(host) => {
                    host.strip_prefix("*.").map_or_else(|| host.to_owned(), |rest| format!("wild.{rest}"))
                }
            }
            .to_ascii_lowercase();
            let tls = ingress::check_tls(cluster, object, &host).entry.is_some();
            for path in rule.http.map(|h| h.paths).unwrap_or_default() {
                let written = path.path.clone().filter(|p| p.starts_with('/')).unwrap_or_else(|| "/".into());
                let deeper = format!("{}/probe", written.trim_end_matches('/'));
                for request_path in [written, deeper] {
                    urls.insert((Scheme::Http, host.clone(), request_path.clone()));
                    if tls {
                        urls.insert((Scheme::Https, host.clone(), request_path));
                    }
                }
            }
        }
    }
    urls
}

/// Where `external` reaches controller pod `controller`'s port for
/// `scheme`: a load-balancer or external IP of a Service that has the pod
/// as an endpoint of that port, else its node port on the first node.
fn exposure(plan: &Plan, controller: PodId, scheme: Scheme) -> Option<(std::net::Ipv4Addr, u16)> {
    let target = if scheme == Scheme::Https { 443 } else { 80 };
    let ports = plan.services.iter().flat_map(|s| s.ports.iter().map(move |p| (s, p)));
    let mut node_port = None;
    for (service, port) in ports {
        if port.protocol != Protocol::Tcp
            || !port.endpoints.iter().any(|e| e.pod == controller.0 && e.port == target)
        {
            continue;
        }
        if let Some(address) = service.external_ips.first() {
            return Some((*address, port.port));
        }
        if let (Some(number), Some(node), None) = (port.node_port, plan.topology.nodes.first(), node_port) {
            node_port = Some((node.address, number));
        }
    }
    node_port
}

/// The model's answer to one request, with the deciding trace step.
fn predict(
    cluster: &Cluster,
    engine: &PolicyEngine<'_>,
    plan: &Plan,
    controller: PodId,
    scheme: Scheme,
    host: &str,
    path: &str,
) -> (Answer, String) {
    let certificate = (scheme == Scheme::Https).then(|| certificate_for(cluster, controller, host).is_some());
    let answer = |status: u16, answerers: Vec<String>| Answer {
        status,
        answerers,
        lab_certificate: certificate,
        error: None,
    };
    let decision = decide(cluster, plan, controller, scheme, host, path);
    if let Decision::Redirect { code, location } = &decision {
        let why = format!(
            "ingress-rule: plain HTTP to a host a `spec.tls` entry covers is redirected to `{location}`"
        );
        return (answer(*code, Vec::new()), why);
    }
    let (url_scheme, port) =
        if scheme == Scheme::Https { (UrlScheme::Https, 443) } else { (UrlScheme::Http, 80) };
    let destination =
        TraceDestination::Url { scheme: url_scheme, host: host.to_owned(), port, path: path.to_owned() };
    let source =
        TraceSource::External { address: Some(std::net::IpAddr::V4(crate::topology::EXTERNAL_ADDRESS)) };
    let options = TraceOptions { protocol: Protocol::Tcp, http: Default::default() };
    let report = trace::trace(cluster, engine, &source, &destination, &options);
    let deciding = crate::probe::deciding_step(&report);
    let status = match (report.verdict, report.blocked_at) {
        (Verdict::Allowed, _) => 200,
        (_, Some(Layer::Dns | Layer::IngressClass | Layer::IngressRule)) => {
            // The rule matched but its backend Service or port is missing: 503.
            if matches!(decision, Decision::Unavailable { .. }) {
                503
            } else {
                404
            }
        }
        (_, Some(Layer::ServiceType | Layer::ServicePort | Layer::Endpoints | Layer::Readiness)) => 503,
        (_, Some(Layer::NetworkPolicyEgress | Layer::NetworkPolicyIngress | Layer::Cni)) => 504,
        (_, Some(Layer::Destination)) => 502,
        _ => 404,
    };
    let answerers = match decision {
        Decision::Proxy { endpoints, .. } if status == 200 => {
            let mut pods: Vec<String> = endpoints.into_iter().map(|(_, pod)| pod).collect();
            pods.sort();
            pods.dedup();
            pods
        }
        _ => Vec::new(),
    };
    (answer(status, answerers), deciding)
}

/// Sends every request (16 at a time) with `curl` in its namespace; the
/// answers are at the requests' indices. `ca` is the lab CA's certificate.
pub fn run(requests: &[Request], ca: &Path) -> Vec<Answer> {
    let mut answers = Vec::with_capacity(requests.len());
    for chunk in requests.chunks(PARALLEL) {
        let handles: Vec<std::thread::JoinHandle<Answer>> = chunk
            .iter()
            .map(|request| {
                let (request, ca) = (request.clone(), ca.to_owned());
                std::thread::spawn(move || send(&request, &ca))
            })
            .collect();
        for handle in handles {
            answers.push(handle.join().unwrap_or_else(|_| failed("a request thread panicked")));
        }
    }
    answers
}

fn failed(why: &str) -> Answer {
    Answer { status: 0, answerers: Vec::new(), lab_certificate: None, error: Some(why.to_owned()) }
}

/// curl's exit code when the server's certificate cannot be verified.
const CURL_BAD_CERTIFICATE: i32 = 60;

/// One request: over HTTPS, first verifying with the lab CA, then (when
/// that fails on the certificate) again without verifying.
fn send(request: &Request, ca: &Path) -> Answer {
    let verified = curl(request, Some(ca));
    if request.scheme == Scheme::Http {
        return verified.map_or_else(|e| failed(&e), |(status, body)| observed(status, &body, None));
    }
    match verified {
        Ok((status, body)) => observed(status, &body, Some(true)),
        Err(error) if error.starts_with(&format!("curl exited {CURL_BAD_CERTIFICATE}")) => {
            match curl(request, None) {
                Ok((status, body)) => observed(status, &body, Some(false)),
                Err(error) => failed(&error),
            }
        }
        Err(error) => failed(&error),
    }
}

fn observed(status: u16, body: &str, lab_certificate: Option<bool>) -> Answer {
    let answerers = if status == 200 {
        vec![body.lines().next().unwrap_or_default().trim().to_owned()]
    } else {
        Vec::new()
    };
    Answer { status, answerers, lab_certificate, error: None }
}

/// Runs curl for `request` inside its namespace; `ca`: verify with it, else
/// `-k`. The status and the body.
fn curl(request: &Request, ca: Option<&Path>) -> Result<(u16, String), String> {
    let (address, port) = request.via;
    let default_port = if request.scheme == Scheme::Https { 443 } else { 80 };
    let connect_to = format!("{}:{default_port}:{address}:{port}", request.host);
    let mut command = Command::new("ip");
    command.args([
        "netns",
        "exec",
        &request.netns,
        "curl",
        "-sS",
        "--max-time",
        "8",
        "--connect-to",
        &connect_to,
    ]);
    command.args(["-o", "-", "-w", "\n%{http_code}"]);
    match ca {
        Some(ca) => command.arg("--cacert").arg(ca),
        None => command.arg("-k"),
    };
    command.arg(&request.url);
    let (code, output) = crate::dns_probe::run_bounded(command)?;
    if code != Some(0) {
        return Err(format!("curl exited {}", code.map_or("by a signal".into(), |c| c.to_string())));
    }
    let (body, status) = output.rsplit_once('\n').unwrap_or(("", output.as_str()));
    let status = status.trim().parse().map_err(|_| format!("curl wrote no status: {output}"))?;
    Ok((status, body.to_owned()))
}

/// Adds the requests and their answers to `report`.
pub fn merge(report: &mut ProbeReport, requests: &[Request], observed: &[Answer], skipped: Vec<Skipped>) {
    report.probes += requests.len();
    report.skipped += skipped.len();
    report.skipped_list.extend(skipped);
    for (request, outcome) in requests.iter().zip(observed) {
        let key =
            (table_class(&request.expected.class()).to_owned(), table_class(&outcome.class()).to_owned());
        *report.ingress_confusion.entry(key).or_default() += 1;
        if outcome.agrees_with(&request.expected) {
            report.agree += 1;
            continue;
        }
        report.disagree += 1;
        report.disagreements.push(Disagreement {
            source: "external".into(),
            destination: request.url.clone(),
            port: request.via.1,
            protocol: Protocol::Tcp,
            expected: request.expected.describe(),
            observed: outcome.describe(),
            explanation: request.explanation.clone(),
            lab_rules: None,
        });
    }
    crate::probe::sort(&mut report.disagreements);
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubereach_core::cni::{self, PluginOverrides, PolicyView};

    /// The controller's LoadBalancer Service, and a namespace whose policy
    /// keeps the controller out.
    const EXPOSED: &str = "
apiVersion: v1
kind: Service
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  type: LoadBalancer
  selector: {app: ctl}
  ports: [{name: http, port: 80}, {name: https, port: 443}]
status: {loadBalancer: {ingress: [{ip: 203.0.113.7}]}}
---
apiVersion: v1
kind: Pod
metadata: {name: vault, namespace: locked, labels: {app: vault}}
spec:
  containers: [{name: c, image: vault, ports: [{containerPort: 8200}]}]
---
apiVersion: v1
kind: Service
metadata: {name: vault, namespace: locked}
spec:
  selector: {app: vault}
  ports: [{port: 80, targetPort: 8200}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: locked}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: vault, namespace: locked}
spec:
  ingressClassName: nginx
  rules:
  - host: vault.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: vault, port: {number: 80}}}}
";

    fn check() -> Vec<(String, String)> {
        let yaml = format!("{}---{EXPOSED}", crate::ingress_route::tests::CLUSTER);
        let cluster = crate::test_cluster(&yaml);
        let plan = crate::plan::build(&cluster, "t", None).unwrap();
        let plugin = cni::behaviour(&cluster, &PluginOverrides::default());
        let engine = PolicyEngine::for_plugin(&cluster, plugin, PolicyView::AsWritten);
        let (requests, skipped) = plan_requests(&cluster, &engine, &plan);
        assert!(skipped.is_empty(), "{skipped:?}");
        assert!(requests.iter().all(|r| r.via.0 == std::net::Ipv4Addr::new(203, 0, 113, 7)));
        requests.into_iter().map(|r| (r.url, r.expected.describe())).collect()
    }

    // The prediction is the trace's: allowed is a 200 from a backend pod, a
    // wrong class or no matching path the controller's 404, a backend
    // naming the pod's port 503, a policy that keeps the controller out
    // 504 (https://kubernetes.io/docs/concepts/services-networking/ingress/,
    // ingress-nginx's default backend and upstream errors); plain HTTP to a
    // TLS host the 308; HTTPS the lab CA's certificate only with the Secret.
    #[test]
    fn every_rule_path_is_requested_with_the_traces_answer() {
        let answers = check();
        let answer = |url: &str| {
            answers.iter().find(|(u, _)| u == url).map(|(_, a)| a.as_str()).unwrap_or_else(|| panic!("{url}"))
        };
        assert_eq!(answer("https://shop.test/app"), "200 from shop/web, lab CA certificate");
        assert_eq!(answer("https://shop.test/app/probe"), "200 from shop/web, lab CA certificate");
        assert_eq!(answer("https://shop.test/exact/probe"), "404, lab CA certificate");
        assert_eq!(answer("https://shop.test/pod-port"), "503, lab CA certificate");
        assert_eq!(answer("http://shop.test/app"), "308");
        assert_eq!(answer("http://plain.test/"), "200 from shop/web");
        assert_eq!(answer("http://other.test/"), "404");
        assert_eq!(answer("http://vault.test/"), "504");
    }
}
