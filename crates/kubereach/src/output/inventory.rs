//! `inventory` as text.

use std::fmt::Write;

use kubereach_core::inventory::Inventory;

/// The human form: one block per namespace. `wide` (`-o wide`) adds where
/// each object is defined (`file:line`, or the API list it came from).
pub fn human(inventory: &Inventory, wide: bool) -> String {
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
            workload_line(&mut out, w, wide);
        }
        for s in &ns.services {
            service_line(&mut out, s, wide);
        }
        for i in &ns.ingresses {
            let class = i.class.as_deref().unwrap_or("(no class)");
            let _ = write!(out, "  Ingress {}  class {class}  hosts {}", i.name, i.hosts.join(","));
            if !i.tls_hosts.is_empty() {
                let _ = write!(out, "  tls {}", i.tls_hosts.join(","));
            }
            end_line(&mut out, &i.location, wide);
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
            let _ = write!(
                out,
                "  NetworkPolicy {}  pods {}  {}  {} ingress / {} egress rules",
                p.name,
                p.pod_selector,
                p.policy_types.join("+"),
                p.ingress_rules,
                p.egress_rules
            );
            end_line(&mut out, &p.location, wide);
        }
    }
    cluster_lines(&mut out, inventory);
    if inventory.plugin.is_known() {
        plugin_lines(&mut out, &inventory.plugin);
    }
    let _ = writeln!(out, "cluster domain: {}", inventory.cluster_domain);
    if !inventory.skipped_kinds.is_empty() {
        let skipped: Vec<String> =
            inventory.skipped_kinds.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
        let _ = writeln!(out, "skipped (not used by the model): {}", skipped.join(", "));
    }
    out
}

/// A workload's line: kind, name, replicas, ports and labels.
fn workload_line(out: &mut String, w: &kubereach_core::inventory::WorkloadSummary, wide: bool) {
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
    end_line(out, &w.location, wide);
}

/// A Service's line: type, cluster IP, ports and selector.
fn service_line(out: &mut String, s: &kubereach_core::inventory::ServiceSummary, wide: bool) {
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
    end_line(out, &s.location, wide);
}

/// The cluster-scoped objects and the native policies, one line each.
fn cluster_lines(out: &mut String, inventory: &Inventory) {
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
    for native in &inventory.native_policies {
        let tier = native.tier.as_deref().map(|t| format!(" in tier {t}")).unwrap_or_default();
        let enforced = if native.enforced { "" } else { "  (not enforced: the cluster runs another plugin)" };
        let _ = writeln!(out, "{} {}{tier}{enforced}", native.count, native.kind);
    }
}

/// Ends an object's line, with `  at LOCATION` when `wide` and known.
fn end_line(out: &mut String, location: &kubereach_core::origin::Location, wide: bool) {
    if wide && (location.file.is_some() || location.line > 0) {
        let _ = write!(out, "  at {location}");
    }
    out.push('\n');
}

/// The plugin behaviour every query command is given, part by part, with
/// where each comes from.
fn plugin_lines(out: &mut String, plugin: &kubereach_core::inventory::PluginSummary) {
    use kubereach_core::cni::{ChoiceSource, Enforcement};
    let cni = if plugin.cni.is_empty() { "not known".to_owned() } else { plugin.cni.join(", ") };
    let source = match plugin.source {
        "given" => " (--cni)",
        "detected" => " (detected)",
        _ => "",
    };
    let _ = writeln!(out, "network plugin: {cni}{source}");
    for (kind, enforcement) in [
        ("NetworkPolicy", plugin.network_policy),
        ("AdminNetworkPolicy", plugin.admin_network_policy),
        ("BaselineAdminNetworkPolicy", plugin.baseline_admin_network_policy),
    ] {
        let text = match enforcement {
            Enforcement::Enforced => "enforced",
            Enforcement::NotEnforced => "not enforced",
            Enforcement::Unknown => "not known (assumed enforced)",
        };
        let _ = writeln!(out, "  {kind}: {text}");
    }
    let from = |source: ChoiceSource| match source {
        ChoiceSource::Plugin { cni } => format!("as {} does", cni.name()),
        ChoiceSource::Flag => "flag".to_owned(),
        ChoiceSource::Default => "default".to_owned(),
    };
    let matches = if plugin.ip_blocks_match_pods { "yes" } else { "no" };
    let _ =
        writeln!(out, "  ipBlocks match pod IPs: {matches} ({})", from(plugin.ip_blocks_match_pods_source));
    let host = if plugin.host_network_pods == "pod" { "pods like any other" } else { "node traffic" };
    let _ = writeln!(out, "  hostNetwork pods: {host} ({})", from(plugin.host_network_pods_source));
    let nodes = if plugin.ip_blocks_match_nodes { "yes" } else { "no" };
    let _ = writeln!(
        out,
        "  ipBlocks match node addresses: {nodes} ({})",
        from(plugin.ip_blocks_match_nodes_source)
    );
}
