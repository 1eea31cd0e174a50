//! `diff` as text.

use std::fmt::Write;

use kubereach_core::diff::{Change, ChangeKind, ConnectivityDiff};
use kubereach_core::policy::PolicyRef;

use super::terminal::{paint, Paint};

/// Grouped by kind of change, with the policies that decided each side.
pub fn human(diff: &ConnectivityDiff, old: &str, new: &str) -> String {
    let mut out = String::new();
    if diff.is_empty() {
        let _ = writeln!(out, "no connectivity differences between {old} and {new}");
        return out;
    }
    for workload in &diff.added_workloads {
        let _ = writeln!(out, "{}", paint(Paint::Good, &format!("+ workload {workload} (only in {new})")));
    }
    for workload in &diff.removed_workloads {
        let _ = writeln!(out, "{}", paint(Paint::Bad, &format!("- workload {workload} (only in {old})")));
    }
    for kind in [ChangeKind::Added, ChangeKind::Removed, ChangeKind::Changed] {
        let changes: Vec<&Change> = diff.changes.iter().filter(|c| c.kind == kind).collect();
        if changes.is_empty() {
            continue;
        }
        let colour = match kind {
            ChangeKind::Added => Paint::Good,
            ChangeKind::Removed => Paint::Bad,
            ChangeKind::Changed => Paint::Warn,
        };
        let _ = writeln!(out, "{}", paint(colour, &format!("{} ({}):", kind.as_str(), changes.len())));
        for change in changes {
            let _ = writeln!(out, "  {} => {}", change.from.label, change.to.label);
            let _ = writeln!(out, "    old: {}{}", change.old, policies(&change.old_policies));
            let _ = writeln!(out, "    new: {}{}", change.new, policies(&change.new_policies));
        }
    }
    let _ = writeln!(
        out,
        "{} changed pair{} from {old} to {new}; exit code 1",
        diff.changes.len(),
        if diff.changes.len() == 1 { "" } else { "s" }
    );
    out
}

fn policies(policies: &[PolicyRef]) -> String {
    if policies.is_empty() {
        return String::new();
    }
    let names: Vec<String> = policies.iter().map(PolicyRef::id).collect();
    format!("  (by {})", names.join(", "))
}

fn rows(diff: &ConnectivityDiff) -> Vec<[String; 6]> {
    diff.changes
        .iter()
        .map(|c| {
            [
                c.kind.as_str().to_owned(),
                c.from.label.clone(),
                c.to.label.clone(),
                c.old.to_string(),
                c.new.to_string(),
                c.workloads.join(", "),
            ]
        })
        .collect()
}

/// netpol-analyzer's `diff` text (labels `ref1`/`ref2`).
pub fn connlist(diff: &ConnectivityDiff) -> String {
    if diff.changes.is_empty() {
        return String::new();
    }
    let mut out = String::from("Connectivity diff:\n");
    for row in rows(diff) {
        let [kind, from, to, old, new, workloads] = row.map(|cell| super::escape::markdown_cell(&cell));
        let _ = write!(out, "diff-type: {kind}, source: {from}, destination: {to}, ref1: {old}, ref2: {new}");
        if !workloads.is_empty() {
            let _ = write!(out, ", workloads-diff-info: {workloads}");
        }
        out.push('\n');
    }
    out
}

/// `diff-type,source,destination,ref1,ref2,workloads-diff-info`.
pub fn csv(diff: &ConnectivityDiff) -> String {
    let mut out = String::from("diff-type,source,destination,ref1,ref2,workloads-diff-info\n");
    for row in rows(diff) {
        let fields: Vec<String> = row.iter().map(|f| super::csv_field(f)).collect();
        let _ = writeln!(out, "{}", fields.join(","));
    }
    out
}

/// A markdown table.
pub fn markdown(diff: &ConnectivityDiff) -> String {
    let mut out = String::from(
        "| diff-type | source | destination | ref1 | ref2 | workloads-diff-info |\n|-----------|--------|-------------|------|------|---------------------|\n",
    );
    for row in rows(diff) {
        let [kind, from, to, old, new, workloads] = row.map(|cell| super::escape::markdown_cell(&cell));
        let _ = writeln!(out, "| {kind} | {from} | {to} | {old} | {new} | {workloads} |");
    }
    out
}
