//! `trace` as a checklist: one line per layer, the evidence and the
//! `kubectl` command that confirms it beneath, then the verdict and the fix.

use std::fmt::Write;

use kubereach_core::trace::{Layer, Status, Trace, Verdict};

use super::terminal::{paint, Paint};

/// The checklist.
pub fn human(trace: &Trace) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "trace {} → {}\n", trace.source, trace.destination);
    let width = Layer::ALL.iter().map(|l| l.as_str().len()).max().unwrap_or(0);
    for step in &trace.steps {
        let mark = match step.status {
            Status::Pass => paint(Paint::Good, "✔"),
            Status::Fail => paint(Paint::Bad, "✘"),
            Status::Warn => paint(Paint::Warn, "⚠"),
            Status::Skip => "–".to_owned(),
        };
        let _ = writeln!(out, "{mark} {:width$}  {}", step.layer.as_str(), step.summary);
        for evidence in &step.evidence {
            let _ = writeln!(out, "    {evidence}");
        }
        if step.status == Status::Warn && !step.fix.is_empty() {
            let _ = writeln!(out, "    fix: {}", step.fix);
        }
        if let Some(command) = &step.kubectl {
            let _ = writeln!(out, "    $ {command}");
        }
    }
    out.push('\n');
    let warnings = trace.steps.iter().filter(|s| s.status == Status::Warn).count();
    match (trace.verdict, trace.blocked_at) {
        (Verdict::Blocked, Some(layer)) => {
            let step = trace.steps.iter().find(|s| s.layer == layer && s.status == Status::Fail);
            let _ = writeln!(out, "{}", paint(Paint::Bad, &format!("blocked at {layer}")));
            if let Some(step) = step.filter(|s| !s.fix.is_empty()) {
                let _ = writeln!(out, "fix: {}", step.fix);
            }
        }
        _ if warnings > 0 => {
            let plural = if warnings == 1 { "" } else { "s" };
            let _ =
                writeln!(out, "{}", paint(Paint::Warn, &format!("allowed, with {warnings} warning{plural}")));
        }
        _ => out.push_str(&format!("{}\n", paint(Paint::Good, "allowed"))),
    }
    out
}
