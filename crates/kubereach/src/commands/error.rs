//! The errors of the commands that are not about the cluster's input (that
//! is a `Diagnostic`, reported with the rest of the input's problems): a
//! config file that cannot be read or is invalid, a flag naming no rule.
//! Each says what to change; `main` prints the program errors as
//! `kubereach: ` and the cause chain, and exits 2.

use std::path::PathBuf;

use kubereach_core::check::UnknownRule;
use kubereach_core::origin::Location;
use kubereach_core::Diagnostic;

/// Why a command stopped before answering.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The config file given with `--config`, or a `.kubereach.yaml` that
    /// exists, cannot be read.
    #[error("cannot read {}", path.display())]
    ConfigUnreadable {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not valid: an input error at its line.
    #[error("{location}: error: {message}")]
    ConfigInvalid {
        /// The file and line.
        location: Location,
        /// What is wrong.
        message: String,
    },
    /// `--enable` or `--disable` names no rule (with the closest one).
    #[error("{flag}")]
    UnknownRule {
        /// The flag, `--enable` or `--disable`.
        flag: &'static str,
        /// The name and the closest rule.
        #[source]
        source: UnknownRule,
    },
}

impl CommandError {
    /// An error in the input, which is printed as a diagnostic at its
    /// `file:line` like the cluster's input errors, rather than as a
    /// program error.
    pub fn diagnostic(&self) -> Option<Diagnostic> {
        match self {
            CommandError::ConfigInvalid { location, message } => {
                Some(Diagnostic::error(location.clone(), message.clone()))
            }
            _ => None,
        }
    }

    /// The whole text printed for this error: the diagnostic, or
    /// `kubereach: ` and the cause chain.
    pub fn message(&self) -> String {
        if let CommandError::ConfigInvalid { .. } = self {
            return self.to_string();
        }
        let mut message = format!("kubereach: {self}");
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            message.push_str(&format!(": {error}"));
            cause = error.source();
        }
        message
    }
}
