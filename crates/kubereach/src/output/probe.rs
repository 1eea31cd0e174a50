//! `lab probe`'s human output: the confusion table, then every
//! disagreement with the model's reasoning.

use kubereach_lab::probe::ProbeReport;

/// The report as text.
pub fn human(report: &ProbeReport) -> String {
    let mut out = format!(
        "{} probes: {} agree, {} disagree; {} skipped\n\n",
        report.probes, report.agree, report.disagree, report.skipped
    );
    let columns = ["connected", "refused", "timed out", "unreachable", "error"];
    out.push_str(&format!("{:<22}", "model \\ kernel"));
    for column in columns {
        out.push_str(&format!("{column:>12}"));
    }
    out.push('\n');
    for row in ["connected", "refused", "timed out"] {
        out.push_str(&format!("{row:<22}"));
        for column in columns {
            let count = report.confusion.get(&(row.to_owned(), column.to_owned())).copied().unwrap_or(0);
            out.push_str(&format!("{count:>12}"));
        }
        out.push('\n');
    }
    if !report.dns_confusion.is_empty() {
        out.push_str(&format!("\n{:<22}", "name lookups"));
        for column in kubereach_lab::dns_probe::CLASSES {
            out.push_str(&format!("{column:>12}"));
        }
        out.push('\n');
        for row in &kubereach_lab::dns_probe::CLASSES[..3] {
            out.push_str(&format!("{row:<22}"));
            for column in kubereach_lab::dns_probe::CLASSES {
                let key = (row.to_string(), column.to_owned());
                out.push_str(&format!("{:>12}", report.dns_confusion.get(&key).copied().unwrap_or(0)));
            }
            out.push('\n');
        }
    }
    if !report.ingress_confusion.is_empty() {
        out.push_str(&ingress_table(report));
    }
    // Skipped probes, by reason: what the lab cannot check, and why.
    let mut reasons: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for skipped in &report.skipped_list {
        *reasons.entry(skipped.reason.as_str()).or_default() += 1;
    }
    if !reasons.is_empty() {
        out.push_str("\nskipped:\n");
    }
    for (reason, count) in reasons {
        out.push_str(&format!("  {count:>5}  {reason}\n"));
    }
    if !report.disagreements.is_empty() {
        out.push_str("\ndisagreements:\n");
    }
    for d in &report.disagreements {
        out.push_str(&format!(
            "  {} -> {} {}/{}: model says {}, kernel says {}\n    model: {}\n",
            d.source, d.destination, d.port, d.protocol, d.expected, d.observed, d.explanation
        ));
        match d.lab_rules.as_deref() {
            None => {}
            Some([]) => {
                out.push_str("    lab:   no counted rule matched (routing or the listening socket decided)\n")
            }
            Some(rules) => {
                for (index, rule) in rules.iter().enumerate() {
                    let head = if index == 0 { "lab:  " } else { "      " };
                    out.push_str(&format!("    {head} {rule}\n"));
                }
            }
        }
    }
    out
}

/// The Ingress requests' table: the model's status × the status `curl` got.
fn ingress_table(report: &ProbeReport) -> String {
    use kubereach_lab::ingress_probe::CLASSES;
    let mut out = format!("\n{:<22}", "ingress requests");
    for column in CLASSES {
        out.push_str(&format!("{column:>7}"));
    }
    out.push('\n');
    for row in CLASSES {
        let counts: Vec<usize> = CLASSES
            .iter()
            .map(|column| {
                report.ingress_confusion.get(&(row.to_owned(), column.to_string())).copied().unwrap_or(0)
            })
            .collect();
        if counts.iter().all(|c| *c == 0) {
            continue;
        }
        out.push_str(&format!("{row:<22}"));
        for count in counts {
            out.push_str(&format!("{count:>7}"));
        }
        out.push('\n');
    }
    out
}
