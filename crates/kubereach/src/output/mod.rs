//! Renderers: one function per format, from report data to text.

use std::io::Write;

use anyhow::Result;
use kubereach_core::{Diagnostic, Severity};

pub mod check;
pub mod diff;
pub mod dns;
pub mod escape;
pub mod inventory;
pub mod matrix;
pub mod matrix_json;
pub mod probe;
pub mod routes;
pub mod terminal;
pub mod trace;

/// Writes `text` to stdout. A closed pipe (`| head`) surfaces as an
/// `io::Error` that `main` turns into a quiet exit 0.
pub fn write_stdout(text: &str) -> Result<()> {
    // Control characters from the input never reach the terminal raw.
    let text = escape::terminal(text, terminal::colour());
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

/// Writes `value` as YAML (`-o yaml`): the JSON document, in kubectl's
/// layout, so the same schema applies.
pub fn write_yaml<T: serde::Serialize>(value: &T) -> Result<()> {
    write_stdout(&kubereach_load::to_yaml(&serde_json::to_value(value)?))
}

/// Prints diagnostics to stderr as `file:line: severity: message`, and
/// returns how many were errors.
pub fn print_diagnostics(diagnostics: &[Diagnostic]) -> usize {
    let errors = print_diagnostics_only(diagnostics);
    if errors > 0 {
        let mut stderr = std::io::stderr().lock();
        let plural = if errors == 1 { "" } else { "s" };
        let _ = writeln!(stderr, "kubereach: {errors} input error{plural}; the rest of the input was loaded");
    }
    errors
}

/// [`print_diagnostics`] without the closing count, for input that could
/// not be loaded at all.
pub fn print_diagnostics_only(diagnostics: &[Diagnostic]) -> usize {
    let mut stderr = std::io::stderr().lock();
    let mut errors = 0;
    for diagnostic in diagnostics {
        if diagnostic.severity == Severity::Error {
            errors += 1;
        }
        let _ = writeln!(stderr, "{}", escape::terminal(&diagnostic.to_string(), false));
    }
    errors
}

/// A CSV field ([`escape::csv_cell`]).
pub fn csv_field(text: &str) -> String {
    escape::csv_cell(text)
}

/// The current time as `2026-12-01T14:05:09Z`, for headers of written files.
pub fn now_rfc3339() -> String {
    let seconds =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    rfc3339(seconds)
}

/// Seconds since the Unix epoch as an RFC 3339 UTC time (Howard Hinnant's
/// days-to-civil algorithm).
fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_796_137_509), "2026-12-01T15:05:09Z");
    }
}
