//! `matrix` as text: human, netpol-analyzer's connlist, csv, markdown, dot.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::io::Write as _;

use anyhow::Result;
use kubereach_core::cni::{PluginBehaviour, PolicyKind, PolicyView};
use kubereach_core::matrix::{Edge, Matrix, Node, NodeKind};
use kubereach_core::policy::{DirectionExplanation, Explanation};
use kubereach_core::ports::ConnectionSet;
use kubereach_core::ports::Protocol;
use kubereach_core::Cluster;

/// Grouped by the source's namespace; one line per allowed pair.
pub fn human(matrix: &Matrix) -> String {
    let mut groups: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    for edge in &matrix.edges {
        let (from, to) = (&matrix.nodes[edge.from], &matrix.nodes[edge.to]);
        let group = match &from.kind {
            NodeKind::Workload(_) => from.namespace.clone().unwrap_or_default(),
            NodeKind::External(_) => "(outside the cluster)".to_owned(),
            NodeKind::IngressController => "(ingress controller)".to_owned(),
            NodeKind::Gateway => "(gateways)".to_owned(),
        };
        groups.entry(group).or_default().push((short(from), long(to), edge.connections.to_string()));
    }
    let mut out = String::new();
    if matrix.edges.is_empty() {
        out.push_str("no connections are allowed\n");
    }
    for (group, lines) in &groups {
        let _ = writeln!(out, "{group}");
        let width_from = lines.iter().map(|l| l.0.chars().count()).max().unwrap_or(0);
        let width_to = lines.iter().map(|l| l.1.chars().count()).max().unwrap_or(0);
        for (from, to, connections) in lines {
            let _ = writeln!(out, "  {from:width_from$} → {to:width_to$}  {connections}");
        }
    }
    let workloads = matrix.nodes.iter().filter(|n| matches!(n.kind, NodeKind::Workload(_))).count();
    let _ = writeln!(
        out,
        "{} allowed pair{} between {workloads} workload{} and {} other node{}",
        matrix.edges.len(),
        plural(matrix.edges.len()),
        plural(workloads),
        matrix.nodes.len() - workloads,
        plural(matrix.nodes.len() - workloads),
    );
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn short(node: &Node) -> String {
    match &node.kind {
        NodeKind::Workload(kind) => format!("{}[{kind}]", node.name),
        _ => node.label(),
    }
}

fn long(node: &Node) -> String {
    node.label()
}

/// netpol-analyzer's `list` format, written to stdout as it is rendered:
/// at 10,000 pods the text is hundreds of MiB, which should not be held as
/// lines and then as one string. With a port filter (its `--focus-conn`), a
/// title names the port and lines have no connections.
pub fn write_connlist(matrix: &Matrix, port: Option<(Protocol, u16)>) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    write_connlist_to(matrix, port, &mut out)?;
    out.flush()?;
    Ok(())
}

/// The lines `FROM => TO : CONNECTIONS` (`FROM => TO` with a port filter),
/// sorted as strings, as [`kubereach_core::matrix::connlist_lines`] gives
/// them, but each label and each distinct connection set rendered once and
/// no line held: a line is the concatenation of its parts, and the edges
/// are put in the order of their lines by comparing the parts (they already
/// are in that order when no label is a prefix of another, which is
/// checked, not assumed).
fn write_connlist_to(
    matrix: &Matrix,
    port: Option<(Protocol, u16)>,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let labels: Vec<String> = matrix.nodes.iter().map(Node::label).collect();
    let mut sets: std::collections::HashMap<*const ConnectionSet, String> = std::collections::HashMap::new();
    if port.is_none() {
        for edge in &matrix.edges {
            sets.entry(std::sync::Arc::as_ptr(&edge.connections))
                .or_insert_with(|| edge.connections.to_string());
        }
    }
    let line = |edge: &Edge| -> [&[u8]; 5] {
        let (from, to) = (labels[edge.from].as_bytes(), labels[edge.to].as_bytes());
        if port.is_some() {
            return [from, b" => ", to, b"", b""];
        }
        let set = sets.get(&std::sync::Arc::as_ptr(&edge.connections)).map_or("", String::as_str);
        [from, b" => ", to, b" : ", set.as_bytes()]
    };
    if let Some((protocol, port)) = port {
        writeln!(out, "Permitted connections on {protocol} {port}:")?;
    }
    let sorted = matrix.edges.windows(2).all(|pair| compare_parts(&line(&pair[0]), &line(&pair[1])).is_le());
    let mut order: Vec<&Edge> = matrix.edges.iter().collect();
    if !sorted {
        order.sort_by(|a, b| compare_parts(&line(a), &line(b)));
    }
    for edge in order {
        for part in line(edge) {
            out.write_all(part)?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Compares two byte strings given as the concatenation of their parts,
/// without concatenating them.
fn compare_parts(a: &[&[u8]], b: &[&[u8]]) -> std::cmp::Ordering {
    let (mut a_parts, mut b_parts) = (a.iter(), b.iter());
    let (mut x, mut y): (&[u8], &[u8]) = (&[], &[]);
    loop {
        while x.is_empty() {
            let Some(part) = a_parts.next() else { break };
            x = part;
        }
        while y.is_empty() {
            let Some(part) = b_parts.next() else { break };
            y = part;
        }
        if x.is_empty() || y.is_empty() {
            return x.len().cmp(&y.len());
        }
        let n = x.len().min(y.len());
        match x[..n].cmp(&y[..n]) {
            std::cmp::Ordering::Equal => {}
            unequal => return unequal,
        }
        (x, y) = (&x[n..], &y[n..]);
    }
}

fn rows(matrix: &Matrix) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = matrix
        .edges
        .iter()
        .map(|e| (matrix.nodes[e.from].label(), matrix.nodes[e.to].label(), e.connections.to_string()))
        .collect();
    rows.sort();
    rows
}

/// `src,dst,conn`.
pub fn csv(matrix: &Matrix) -> String {
    let mut out = String::from("src,dst,conn\n");
    for (from, to, connections) in rows(matrix) {
        let _ = writeln!(
            out,
            "{},{},{}",
            super::csv_field(&from),
            super::csv_field(&to),
            super::csv_field(&connections)
        );
    }
    out
}

/// A markdown table.
pub fn markdown(matrix: &Matrix) -> String {
    let mut out = String::from("| src | dst | conn |\n|-----|-----|------|\n");
    for (from, to, connections) in rows(matrix) {
        let [from, to, connections] =
            [&from, &to, &connections].map(|cell| super::escape::markdown_cell(cell));
        let _ = writeln!(out, "| {from} | {to} | {connections} |");
    }
    out
}

/// Graphviz, one cluster per namespace.
pub fn dot(matrix: &Matrix) -> String {
    let mut out = String::from("digraph {\n");
    let mut namespaces: BTreeMap<&str, Vec<&Node>> = BTreeMap::new();
    let mut others = Vec::new();
    for node in &matrix.nodes {
        match (&node.kind, node.namespace.as_deref()) {
            (NodeKind::Workload(_), Some(namespace)) => namespaces.entry(namespace).or_default().push(node),
            _ => others.push(node),
        }
    }
    for (namespace, nodes) in &namespaces {
        let namespace = super::escape::dot_string(namespace);
        let _ = writeln!(out, "\tsubgraph \"cluster_{namespace}[namespace]\" {{");
        out.push_str("\t\tcolor=\"black\"\n\t\tfontcolor=\"black\"\n");
        for node in nodes {
            let _ = writeln!(
                out,
                "\t\t\"{}\" [label=\"{}\" color=\"blue\" fontcolor=\"blue\"]",
                super::escape::dot_string(&node.label()),
                super::escape::dot_string(&short(node))
            );
        }
        let _ = writeln!(out, "\t\tlabel=\"{namespace}[namespace]\"\n\t}}");
    }
    for node in others {
        let (color, shape) = match node.kind {
            NodeKind::External(_) => ("red2", " shape=box"),
            _ => ("blue", ""),
        };
        let label = super::escape::dot_string(&node.label());
        let _ =
            writeln!(out, "\t\"{label}\" [label=\"{label}\" color=\"{color}\" fontcolor=\"{color}\"{shape}]");
    }
    for (from, to, connections) in rows(matrix) {
        let [from, to, connections] = [&from, &to, &connections].map(|text| super::escape::dot_string(text));
        let _ = writeln!(
            out,
            "\t\"{from}\" -> \"{to}\" [label=\"{connections}\" color=\"gold2\" fontcolor=\"darkgreen\" weight=0.5]"
        );
    }
    out.push_str("}\n");
    out
}

/// `matrix --explain`: per direction, the steps that decided each part of
/// the connection set.
pub fn explanation(from: &str, to: &str, explanation: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{from} => {to} : {}", explanation.allowed);
    explain_direction(&mut out, &format!("egress of {from}"), &explanation.egress);
    explain_direction(&mut out, &format!("ingress of {to}"), &explanation.ingress);
    out
}

fn explain_direction(out: &mut String, title: &str, direction: &DirectionExplanation) {
    let _ = writeln!(out, "  {title}: {}", direction.allowed);
    if !direction.policies_apply {
        let _ = writeln!(out, "    policies do not apply here (outside the cluster, or hostNetwork)");
    }
    if !direction.isolated_by.is_empty() {
        let names: Vec<String> = direction
            .isolated_by
            .iter()
            .map(|p| format!("{}/{}", p.namespace.as_deref().unwrap_or_default(), p.name))
            .collect();
        let _ = writeln!(out, "    isolated by NetworkPolicy {}", names.join(", "));
    }
    for step in &direction.steps {
        let verdict = match step.verdict {
            kubereach_core::policy::Verdict::Allow => "allow",
            kubereach_core::policy::Verdict::Deny => "deny",
            kubereach_core::policy::Verdict::Pass => "pass",
        };
        let tier = match step.tier {
            kubereach_core::policy::Tier::Admin => "AdminNetworkPolicy",
            kubereach_core::policy::Tier::Network => "NetworkPolicy",
            kubereach_core::policy::Tier::Baseline => "BaselineAdminNetworkPolicy",
            kubereach_core::policy::Tier::Default => "default",
        };
        let policy = match &step.policy {
            Some(p) => {
                let name = p.id();
                let rule = step.rule.map(|r| format!(" rule {r}")).unwrap_or_default();
                let rule_name = step.rule_name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
                let at = step.location.as_ref().map(|l| format!("  at {l}")).unwrap_or_default();
                format!(" {name}{rule}{rule_name}{at}")
            }
            None => String::new(),
        };
        let by = match (&step.policy, step.tier) {
            (None, kubereach_core::policy::Tier::Network) => {
                "isolation: no NetworkPolicy rule allows it".to_owned()
            }
            (None, kubereach_core::policy::Tier::Default) => "default: no policy applies".to_owned(),
            _ => format!("{tier}{policy}"),
        };
        let _ = writeln!(out, "    {verdict:5} {}  by {by}", step.connections);
    }
}

/// What the matrix leaves out because the network plugin does not enforce
/// it, in [`PolicyView::Effective`]; `None` when nothing is left out.
pub fn unenforced_note(cluster: &Cluster, plugin: &PluginBehaviour, view: PolicyView) -> Option<String> {
    if view == PolicyView::AsWritten {
        return None;
    }
    let tiers = plugin.enforced_tiers();
    let kinds = [
        (tiers.network, cluster.network_policies().len(), "NetworkPolicy", PolicyKind::NetworkPolicy),
        (
            tiers.admin,
            cluster.admin_network_policies().len(),
            "AdminNetworkPolicy",
            PolicyKind::AdminNetworkPolicy,
        ),
        (
            tiers.baseline,
            cluster.baseline_admin_network_policies().len(),
            "BaselineAdminNetworkPolicy",
            PolicyKind::BaselineAdminNetworkPolicy,
        ),
    ];
    let ignored: Vec<String> = kinds
        .iter()
        .filter(|(enforced, present, _, _)| !enforced && *present > 0)
        .map(|(_, present, name, kind)| {
            let by = plugin.detection.verdict(*kind).by.map_or("the network plugin", |cni| cni.name());
            format!("`{by}` does not enforce {name} ({present} in the input, without effect)")
        })
        .collect();
    if ignored.is_empty() {
        return None;
    }
    Some(format!(
        "{}: this is the connectivity the cluster has (`--as-written` shows the policies as written)",
        ignored.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubereach_core::matrix::{Filters, Granularity, MatrixOptions};
    use kubereach_core::policy::{PolicyEngine, PolicyOptions};

    fn demo_matrix(granularity: Granularity) -> Matrix {
        let mut builder = kubereach_core::ClusterBuilder::new();
        for (name, text) in crate::commands::DEMO_FILES {
            kubereach_load::load_str(Some(name), text, &mut builder);
        }
        let cluster = builder.build();
        let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
        let options = MatrixOptions { granularity, ingress_controller: true, filters: Filters::default() };
        kubereach_core::matrix::matrix(&engine, &options)
    }

    fn connlist(matrix: &Matrix, port: Option<(Protocol, u16)>) -> String {
        let mut out = Vec::new();
        write_connlist_to(matrix, port, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The streamed connlist is core's `connlist_lines`, and with a port
    /// filter the sorted `FROM => TO` lines under a title; also when the
    /// edges are not in the order of their lines.
    #[test]
    fn the_streamed_connlist_is_the_sorted_lines() {
        for granularity in [Granularity::Workloads, Granularity::Pods] {
            let mut matrix = demo_matrix(granularity);
            assert!(matrix.edges.len() > 10, "{}", matrix.edges.len());
            let expected: String = kubereach_core::matrix::connlist_lines(&matrix)
                .iter()
                .map(|line| format!("{line}\n"))
                .collect();
            assert_eq!(connlist(&matrix, None), expected);
            let label = |edge: &Edge| (matrix.nodes[edge.from].label(), matrix.nodes[edge.to].label());
            let mut pairs: Vec<String> =
                matrix.edges.iter().map(label).map(|(from, to)| format!("{from} => {to}\n")).collect();
            pairs.sort();
            let filtered = connlist(&matrix, Some((Protocol::Tcp, 80)));
            assert_eq!(filtered, format!("Permitted connections on TCP 80:\n{}", pairs.concat()));
            matrix.edges.reverse();
            assert_eq!(connlist(&matrix, None), expected);
        }
    }

    #[test]
    fn parts_compare_as_their_concatenation() {
        type Parts<'a> = &'a [&'a [u8]];
        let cases: [(Parts, Parts); 5] = [
            (&[b"ab", b"c"], &[b"a", b"bc"]),
            (&[b"a/b", b" => "], &[b"a/b-c", b" => "]),
            (&[b"", b"x"], &[b"x", b""]),
            (&[b"a"], &[b"a", b"b"]),
            (&[b"b"], &[b"a", b"z"]),
        ];
        for (a, b) in cases {
            assert_eq!(compare_parts(a, b), a.concat().cmp(&b.concat()), "{a:?} {b:?}");
            assert_eq!(compare_parts(b, a), b.concat().cmp(&a.concat()), "{b:?} {a:?}");
        }
    }
}
