//! Renderers: one function per format, from report data to text.

use std::io::Write;

use anyhow::Result;
use kubereach_core::{Diagnostic, Severity};

pub mod check;
pub mod diff;
pub mod dns;
pub mod inventory;
pub mod matrix;
pub mod trace;

/// Writes `text` to stdout. A closed pipe (`| head`) surfaces as an
/// `io::Error` that `main` turns into a quiet exit 0.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Writes `value` as pretty JSON and a final newline.
pub fn write_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_stdout(&text)
}

/// Prints diagnostics to stderr as `file:line: severity: message`, and
/// returns how many were errors.
pub fn print_diagnostics(diagnostics: &[Diagnostic]) -> usize {
    let mut stderr = std::io::stderr().lock();
    let mut errors = 0;
    for diagnostic in diagnostics {
        if diagnostic.severity == Severity::Error {
            errors += 1;
        }
        let _ = writeln!(stderr, "{diagnostic}");
    }
    if errors > 0 {
        let plural = if errors == 1 { "" } else { "s" };
        let _ = writeln!(stderr, "kubereach: {errors} input error{plural}; the rest of the input was loaded");
    }
    errors
}

/// A CSV field, quoted when it holds a comma, a quote or a newline.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
