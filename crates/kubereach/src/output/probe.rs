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
    if !report.disagreements.is_empty() {
        out.push_str("\ndisagreements:\n");
    }
    for d in &report.disagreements {
        out.push_str(&format!(
            "  {} -> {} {}/{}: model says {}, kernel says {}\n    model: {}\n",
            d.source, d.destination, d.port, d.protocol, d.expected, d.observed, d.explanation
        ));
    }
    out
}
