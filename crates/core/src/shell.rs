//! Quoting for POSIX shells of the commands kubereach suggests
//! (`kubectl get service -n NAMESPACE NAME`, the fixes of `check`).
//!
//! A suggested command is meant to be pasted into a shell, and the names it
//! interpolates come from the input: a namespace `prod$(id)` written as is
//! would run `id` on the machine of whoever pastes it. Every interpolated
//! word goes through [`quote`], which leaves a plain name as it is and puts
//! anything else in single quotes, the one POSIX quoting inside which no
//! character is special (POSIX.1-2017, Shell Command Language, 2.2.2
//! "Single-Quotes"; the same rule as Python's `shlex.quote`).

use std::fmt;

/// `word` as one word of a POSIX shell command line: unchanged when it
/// holds only characters no shell treats specially (letters, digits and
/// `@ % + = : , . / - _`), else in single quotes, with each `'` inside
/// written `'\''`. The empty word is `''`.
pub fn quote(word: &str) -> Quoted<'_> {
    Quoted(word)
}

/// A word quoted for a POSIX shell when displayed (see [`quote`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = self.0;
        if !word.is_empty() && word.chars().all(is_plain) {
            return f.write_str(word);
        }
        f.write_str("'")?;
        let mut pieces = word.split('\'');
        if let Some(first) = pieces.next() {
            f.write_str(first)?;
        }
        for piece in pieces {
            // Close the quotes, an escaped quote, open them again.
            f.write_str("'\\''")?;
            f.write_str(piece)?;
        }
        f.write_str("'")
    }
}

/// Characters that mean nothing to a shell in any position of a word after
/// the command name. `~` (tilde expansion), `{`/`}` (brace expansion in
/// bash), `*?[` (globs), whitespace and every other punctuation are not.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '@' | '%' | '+' | '=' | ':' | ',' | '.' | '/' | '-' | '_')
}

#[cfg(test)]
mod tests {
    use super::quote;

    fn check(word: &str, expect: &str) {
        assert_eq!(quote(word).to_string(), expect, "quoting {word:?}");
    }

    #[test]
    fn plain_names_stay_as_they_are() {
        check("production", "production");
        check("api-service", "api-service");
        check("kubernetes.io/service-name=api", "kubernetes.io/service-name=api");
        check("app=web,tier=db", "app=web,tier=db");
    }

    #[test]
    fn shell_syntax_is_quoted() {
        check("prod$(id)", "'prod$(id)'");
        check("a b", "'a b'");
        check("`id`", "'`id`'");
        check("a;rm -rf ~", "'a;rm -rf ~'");
        check("~", "'~'");
        check("{.spec.ports}", "'{.spec.ports}'");
        check("*", "'*'");
        check("", "''");
        check("naïve", "'naïve'");
        check("line\nbreak", "'line\nbreak'");
    }

    #[test]
    fn a_single_quote_is_closed_escaped_and_reopened() {
        check("it's", "'it'\\''s'");
        check("'", "''\\'''");
        check("a'$(id)'b", "'a'\\''$(id)'\\''b'");
    }
}
