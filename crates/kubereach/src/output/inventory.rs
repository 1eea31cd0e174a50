//! `inventory` as text.

use std::fmt::Write;

use kubereach_core::inventory::Inventory;

/// The human form: one block per namespace.
pub fn human(inventory: &Inventory) -> String {
    let mut out = String::new();
    for ns in &inventory.namespaces {
        let labels: Vec<String> = ns
            .labels
            .iter()
            .filter(|(k, _)| k.as_str() != kubereach_core::model::NAMESPACE_NAME_LABEL)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let declared = if ns.declared { "" } else { " (implicit)" };
        let _ = write!(out, "namespace {}{declared}", ns.name);
        if !labels.is_empty() {
            let _ = write!(out, "  [{}]", labels.join(", "));
        }
        out.push('\n');
        for w in &ns.workloads {
            let replicas = match (w.kind.as_str(), w.replicas) {
                ("Pod", _) => "pod".to_owned(),
                (_, Some(n)) => format!("{n} replica{}", if n == 1 { "" } else { "s" }),
                ("DaemonSet", None) => "per node".to_owned(),
                (_, None) => "scheduled".to_owned(),
            };
            let ports: Vec<String> = w
                .ports
                .iter()
                .map(|p| match &p.name {
                    Some(name) => format!("{name}:{}/{}", p.port, p.protocol),
                    None => format!("{}/{}", p.port, p.protocol),
                })
                .collect();
            let labels: Vec<String> = w.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = write!(out, "  {} {}  {replicas}", w.kind, w.name);
            if w.host_network {
                out.push_str("  hostNetwork");
            }
            if !ports.is_empty() {
                let _ = write!(out, "  ports {}", ports.join(" "));
            }
            if !labels.is_empty() {
                let _ = write!(out, "  labels {}", labels.join(","));
            }
            out.push('\n');
        }
        for s in &ns.services {
            let ports: Vec<String> = s
                .ports
                .iter()
                .map(|p| {
                    let name = p.name.as_deref().map(|n| format!("{n} ")).unwrap_or_default();
                    let node = p.node_port.map(|n| format!(" node {n}")).unwrap_or_default();
                    format!("{name}{}→{}/{}{node}", p.port, p.target_port, p.protocol)
                })
                .collect();
            let _ = write!(out, "  Service {}  {}", s.name, s.type_);
            if let Some(ip) = &s.cluster_ip {
                let _ = write!(out, " {ip}");
            }
            if !ports.is_empty() {
                let _ = write!(out, "  ports {}", ports.join(", "));
            }
            match &s.selector {
                Some(selector) => {
                    let _ = write!(out, "  selector {selector}");
                }
                None => out.push_str("  no selector"),
            }
            out.push('\n');
        }
        for i in &ns.ingresses {
            let class = i.class.as_deref().unwrap_or("(no class)");
            let _ = write!(out, "  Ingress {}  class {class}  hosts {}", i.name, i.hosts.join(","));
            if !i.tls_hosts.is_empty() {
                let _ = write!(out, "  tls {}", i.tls_hosts.join(","));
            }
            out.push('\n');
        }
        for g in &ns.gateways {
            let _ = writeln!(
                out,
                "  Gateway {}  class {}  listeners {}",
                g.name,
                g.class,
                g.listeners.join(", ")
            );
        }
        for r in &ns.gateway_routes {
            let hosts = if r.hostnames.is_empty() { "*".to_owned() } else { r.hostnames.join(",") };
            let _ = writeln!(out, "  {} {}  parents {}  hosts {hosts}", r.kind, r.name, r.parents.join(","));
        }
        for p in &ns.network_policies {
            let _ = writeln!(
                out,
                "  NetworkPolicy {}  pods {}  {}  {} ingress / {} egress rules",
                p.name,
                p.pod_selector,
                p.policy_types.join("+"),
                p.ingress_rules,
                p.egress_rules
            );
        }
    }
    let cluster = &inventory.cluster;
    if !cluster.nodes.is_empty() {
        let _ = writeln!(out, "nodes: {}", cluster.nodes.join(", "));
    }
    for class in &cluster.ingress_classes {
        let default = if class.default { " (default)" } else { "" };
        let controller = class.controller.as_deref().unwrap_or("?");
        let _ = writeln!(out, "IngressClass {}{default}  controller {controller}", class.name);
    }
    for (name, controller) in &cluster.gateway_classes {
        let _ = writeln!(out, "GatewayClass {name}  controller {controller}");
    }
    for (name, priority) in &cluster.admin_network_policies {
        let _ = writeln!(out, "AdminNetworkPolicy {name}  priority {priority}");
    }
    for name in &cluster.baseline_admin_network_policies {
        let _ = writeln!(out, "BaselineAdminNetworkPolicy {name}");
    }
    let _ = writeln!(out, "cluster domain: {}", inventory.cluster_domain);
    if !inventory.skipped_kinds.is_empty() {
        let skipped: Vec<String> =
            inventory.skipped_kinds.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
        let _ = writeln!(out, "skipped (not used by the model): {}", skipped.join(", "));
    }
    out
}
