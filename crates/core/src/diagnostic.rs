//! Problems met while reading or modelling the input. Broken input is data:
//! loading yields a cluster plus diagnostics and never fails as a whole.

use serde::Serialize;

use crate::origin::Location;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: something was skipped or assumed.
    Note,
    /// Suspicious input that still loaded.
    Warning,
    /// Input that could not be loaded; the command exits 2 unless told to keep going.
    Error,
}

impl Severity {
    /// `note`, `warning` or `error`, as diagnostics are printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem with the input, located at `file:line` when known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// How bad it is.
    pub severity: Severity,
    /// What is wrong: lowercase, no final period, identifiers in backticks.
    pub message: String,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(location: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic { location, severity: Severity::Error, message: message.into() }
    }

    /// A warning at `location`.
    pub fn warning(location: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic { location, severity: Severity::Warning, message: message.into() }
    }

    /// A note at `location`.
    pub fn note(location: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic { location, severity: Severity::Note, message: message.into() }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = self.severity.as_str();
        write!(f, "{}: {severity}: {}", self.location, self.message)
    }
}
