//! YAML text written line by line, and scalars quoted where a parser could
//! misread them.

use std::borrow::Cow;
use std::fmt;

/// A growing YAML text, written line by line with explicit indentation.
#[derive(Default)]
pub(crate) struct Yaml {
    pub(crate) buf: String,
}

impl Yaml {
    pub(crate) fn line(&mut self, indent: usize, args: fmt::Arguments) {
        for _ in 0..indent {
            self.buf.push_str("  ");
        }
        fmt::Write::write_fmt(&mut self.buf, args).expect("writing to a String cannot fail");
        self.buf.push('\n');
    }

    pub(crate) fn start_document(&mut self) {
        self.buf.push_str("---\n");
    }

    pub(crate) fn map(&mut self, indent: usize, pairs: &[(&str, &str)]) {
        for (key, value) in pairs {
            self.line(indent, format_args!("{key}: {}", scalar(value)));
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }
}

/// One line of YAML at an indentation level, formatted like `format!`.
macro_rules! emit {
    ($yaml:expr, $indent:expr, $($arg:tt)*) => {
        $yaml.line($indent, format_args!($($arg)*))
    };
}
pub(crate) use emit;

/// A YAML scalar for `s`, quoted when some YAML parser could read it as
/// anything but a string: a number, a YAML 1.1 timestamp or sexagesimal (so
/// anything starting with a digit), a boolean, null or a structure.
pub(crate) fn scalar(s: &str) -> Cow<'_, str> {
    let ambiguous = s.is_empty()
        || s.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+')
        || s.parse::<f64>().is_ok()
        || matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
        )
        || s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':');
    if ambiguous {
        Cow::Owned(format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
    } else {
        Cow::Borrowed(s)
    }
}
