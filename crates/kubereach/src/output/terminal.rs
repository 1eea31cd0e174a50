//! What the terminal gets beyond plain text: colour in human output and
//! progress on standard error.
//!
//! Decided once in `main` from `--color`, `--quiet`, `NO_COLOR` and whether
//! the streams are terminals, then asked by every renderer. It is process
//! state on purpose: the choice belongs to the process's streams, not to a
//! report, and threading it through each renderer would change every
//! renderer's signature for one bit. Never set in the pure core.

use std::io::IsTerminal;
use std::sync::OnceLock;

use crate::args::{ColorChoice, TerminalArgs};

static TERMINAL: OnceLock<Terminal> = OnceLock::new();

/// What the terminal gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Terminal {
    color: bool,
    progress: bool,
}

/// A meaning that has a colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// Passed, allowed, added: green.
    Good,
    /// Failed, blocked, removed, an error: red.
    Bad,
    /// A warning, a change: yellow.
    Warn,
    /// Information: cyan.
    Info,
}

/// Decides colour and progress for this process. Later calls change nothing.
pub fn init(args: &TerminalArgs) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = wants_color(args.color, std::io::stdout().is_terminal(), no_color);
    let _ = TERMINAL.set(Terminal { color, progress: !args.quiet });
}

/// `--color` against the terminal and `NO_COLOR` (no-color.org: set and
/// not empty disables colour by default; an explicit flag overrides it).
fn wants_color(choice: ColorChoice, stdout_is_terminal: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_is_terminal && !no_color,
    }
}

/// Whether progress may be shown (not `--quiet`); the loaders also check
/// that standard error is a terminal.
pub fn progress() -> bool {
    TERMINAL.get().is_none_or(|t| t.progress)
}

/// Whether colour is on (what [`paint`] does).
pub fn colour() -> bool {
    TERMINAL.get().is_some_and(|t| t.color)
}

/// `text` in the colour of `paint` when colour is on, else unchanged.
pub fn paint(paint: Paint, text: &str) -> String {
    if !TERMINAL.get().is_some_and(|t| t.color) {
        return text.to_owned();
    }
    let code = match paint {
        Paint::Good => "32",
        Paint::Bad => "31",
        Paint::Warn => "33",
        Paint::Info => "36",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_follows_flag_terminal_and_no_color() {
        assert!(wants_color(ColorChoice::Auto, true, false));
        assert!(!wants_color(ColorChoice::Auto, false, false), "never in a pipe or a file");
        assert!(!wants_color(ColorChoice::Auto, true, true), "NO_COLOR");
        assert!(wants_color(ColorChoice::Always, false, true), "the flag overrides NO_COLOR");
        assert!(!wants_color(ColorChoice::Never, true, false));
    }
}
