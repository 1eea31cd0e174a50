//! Flags about the terminal rather than the cluster: colour, progress, and
//! the shell completion scripts. Global, so they go before or after the
//! command as kubectl's and ripgrep's do.

use clap::{Args as ClapArgs, ValueEnum};

/// How output meets the terminal.
#[derive(Debug, Clone, ClapArgs)]
pub struct TerminalArgs {
    /// When to colour human output: `auto` colours only when standard output is a terminal and
    /// `NO_COLOR` is not set.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// No progress on standard error (it is shown only on a terminal anyway).
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
}

/// `--color`, as ripgrep spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// `kubereach completion SHELL`.
#[derive(Debug, ClapArgs)]
pub struct CompletionArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The shells `kubectl completion` supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// `-l/--selector`: a label query in kubectl's syntax, read when the
/// arguments are (so a malformed one is a usage error before any loading).
#[derive(Debug, Clone)]
pub struct Selector {
    /// As the user wrote it, for messages.
    pub text: String,
    /// As a `LabelSelector`.
    pub selector: kubereach_core::k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
}

/// The `value_parser` of `-l/--selector`.
pub fn parse_selector(text: &str) -> Result<Selector, String> {
    let selector = kubereach_core::label_query::parse_selector(text)?;
    Ok(Selector { text: text.to_owned(), selector })
}
