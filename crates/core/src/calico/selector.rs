//! Calico's selector expression language
//! (<https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors>):
//! `all()`, `global()`, `has(k)`, `k == 'v'`, `k != 'v'`, `k in {'a', 'b'}`,
//! `k not in {…}`, `k contains 's'`, `k starts with 's'`, `k ends with 's'`,
//! `!`, `&&`, `||` and parentheses; strings in single or double quotes.
//!
//! [`Selector::parse`] never panics: a malformed expression is an error
//! with the column where it goes wrong, which callers turn into
//! `file:line`. The parser is a recursive descent bounded in depth
//! ([`MAX_DEPTH`]), so a hostile expression cannot overflow the stack.

use std::collections::BTreeMap;
use std::fmt;

/// How deeply `(` and `!` may nest.
pub const MAX_DEPTH: usize = 64;

/// A parsed selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Selector {
    expression: Expression,
}

/// Why an expression does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    /// 1-based character column in the expression.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for SelectorError {}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Expression {
    All,
    Global,
    Has(String),
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Contains(String, String),
    StartsWith(String, String),
    EndsWith(String, String),
    Not(Box<Expression>),
    And(Vec<Expression>),
    Or(Vec<Expression>),
}

impl Selector {
    /// Parses `text`; an empty (or blank) text is `all()`, as Calico reads
    /// an absent selector.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let mut parser = Parser { chars: text.chars().collect(), position: 0, depth: 0 };
        parser.skip_spaces();
        if parser.at_end() {
            return Ok(Selector { expression: Expression::All });
        }
        let expression = parser.or()?;
        parser.skip_spaces();
        if !parser.at_end() {
            return Err(parser.error("unexpected text after the expression"));
        }
        Ok(Selector { expression })
    }

    /// `all()`.
    pub fn all() -> Selector {
        Selector { expression: Expression::All }
    }

    /// Whether an object with `labels` matches.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        evaluate(&self.expression, labels)
    }

    /// Whether the expression is `global()` (non-namespaced endpoints only).
    pub fn is_global(&self) -> bool {
        self.expression == Expression::Global
    }

    /// Whether no set of labels can match (`has(a) && !has(a)`,
    /// `a == 'x' && a == 'y'`): decided by trying every combination of the
    /// values the expression mentions for each key it mentions (plus absent
    /// and one other value), when there are few enough.
    pub fn cannot_match(&self) -> Option<bool> {
        let mut keys: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
        collect_values(&self.expression, &mut keys);
        let mut combinations: u64 = 1;
        for values in keys.values_mut() {
            values.push(None);
            values.push(Some("\u{0}other".to_owned()));
            values.sort();
            values.dedup();
            combinations = combinations.saturating_mul(values.len() as u64);
        }
        if combinations > 4096 {
            return None;
        }
        let keys: Vec<(String, Vec<Option<String>>)> = keys.into_iter().collect();
        let mut index = vec![0usize; keys.len()];
        loop {
            let labels: BTreeMap<String, String> = keys
                .iter()
                .zip(&index)
                .filter_map(|((key, values), &i)| values[i].clone().map(|v| (key.clone(), v)))
                .collect();
            if evaluate(&self.expression, &labels) {
                return Some(false);
            }
            // The next combination, like an odometer.
            let mut position = 0;
            loop {
                if position == keys.len() {
                    return Some(true);
                }
                index[position] += 1;
                if index[position] < keys[position].1.len() {
                    break;
                }
                index[position] = 0;
                position += 1;
            }
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expression(&self.expression, f)
    }
}

fn write_expression(expression: &Expression, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let list = |values: &[String]| values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
    match expression {
        Expression::All => write!(f, "all()"),
        Expression::Global => write!(f, "global()"),
        Expression::Has(key) => write!(f, "has({key})"),
        Expression::Equals(key, value) => write!(f, "{key} == '{value}'"),
        Expression::NotEquals(key, value) => write!(f, "{key} != '{value}'"),
        Expression::In(key, values) => write!(f, "{key} in {{{}}}", list(values)),
        Expression::NotIn(key, values) => write!(f, "{key} not in {{{}}}", list(values)),
        Expression::Contains(key, value) => write!(f, "{key} contains '{value}'"),
        Expression::StartsWith(key, value) => write!(f, "{key} starts with '{value}'"),
        Expression::EndsWith(key, value) => write!(f, "{key} ends with '{value}'"),
        Expression::Not(inner) => {
            write!(f, "!(")?;
            write_expression(inner, f)?;
            write!(f, ")")
        }
        Expression::And(parts) | Expression::Or(parts) => {
            let operator = if matches!(expression, Expression::And(_)) { " && " } else { " || " };
            write!(f, "(")?;
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    write!(f, "{operator}")?;
                }
                write_expression(part, f)?;
            }
            write!(f, ")")
        }
    }
}

fn evaluate(expression: &Expression, labels: &BTreeMap<String, String>) -> bool {
    let value = |key: &String| labels.get(key);
    match expression {
        Expression::All => true,
        // Only non-namespaced endpoints (host endpoints, global network
        // sets), which are not pods.
        Expression::Global => false,
        Expression::Has(key) => value(key).is_some(),
        Expression::Equals(key, v) => value(key) == Some(v),
        // A missing label is "not equal", as in libcalico-go's evaluator.
        Expression::NotEquals(key, v) => value(key) != Some(v),
        Expression::In(key, values) => value(key).is_some_and(|x| values.contains(x)),
        Expression::NotIn(key, values) => value(key).is_none_or(|x| !values.contains(x)),
        Expression::Contains(key, v) => value(key).is_some_and(|x| x.contains(v.as_str())),
        Expression::StartsWith(key, v) => value(key).is_some_and(|x| x.starts_with(v.as_str())),
        Expression::EndsWith(key, v) => value(key).is_some_and(|x| x.ends_with(v.as_str())),
        Expression::Not(inner) => !evaluate(inner, labels),
        Expression::And(parts) => parts.iter().all(|p| evaluate(p, labels)),
        Expression::Or(parts) => parts.iter().any(|p| evaluate(p, labels)),
    }
}

fn collect_values(expression: &Expression, keys: &mut BTreeMap<String, Vec<Option<String>>>) {
    match expression {
        Expression::All | Expression::Global => {}
        Expression::Has(key) => {
            keys.entry(key.clone()).or_default();
        }
        Expression::Equals(key, v)
        | Expression::NotEquals(key, v)
        | Expression::Contains(key, v)
        | Expression::StartsWith(key, v)
        | Expression::EndsWith(key, v) => keys.entry(key.clone()).or_default().push(Some(v.clone())),
        Expression::In(key, values) | Expression::NotIn(key, values) => {
            keys.entry(key.clone()).or_default().extend(values.iter().cloned().map(Some))
        }
        Expression::Not(inner) => collect_values(inner, keys),
        Expression::And(parts) | Expression::Or(parts) => {
            for part in parts {
                collect_values(part, keys);
            }
        }
    }
}

struct Parser {
    chars: Vec<char>,
    position: usize,
    depth: usize,
}

impl Parser {
    fn at_end(&self) -> bool {
        self.position >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).copied()
    }

    fn error(&self, message: impl Into<String>) -> SelectorError {
        SelectorError { column: self.position + 1, message: message.into() }
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
    }

    /// Consumes `token` (after spaces) if it comes next.
    fn eat(&mut self, token: &str) -> bool {
        self.skip_spaces();
        let end = self.position + token.chars().count();
        if end <= self.chars.len() && self.chars[self.position..end].iter().copied().eq(token.chars()) {
            self.position = end;
            return true;
        }
        false
    }

    /// Consumes the keyword `word` when it is followed by a non-key character.
    fn eat_word(&mut self, word: &str) -> bool {
        let start = self.position;
        if !self.eat(word) {
            return false;
        }
        if self.peek().is_some_and(is_key_char) {
            self.position = start;
            return false;
        }
        true
    }

    fn or(&mut self) -> Result<Expression, SelectorError> {
        let mut parts = vec![self.and()?];
        while self.eat("||") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expression::Or(parts) })
    }

    fn and(&mut self) -> Result<Expression, SelectorError> {
        let mut parts = vec![self.unary()?];
        while self.eat("&&") {
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expression::And(parts) })
    }

    fn unary(&mut self) -> Result<Expression, SelectorError> {
        self.skip_spaces();
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!("nested more than {MAX_DEPTH} levels deep")));
        }
        if self.eat("!") {
            self.depth += 1;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expression::Not(Box::new(inner)));
        }
        if self.eat("(") {
            self.depth += 1;
            let inner = self.or()?;
            self.depth -= 1;
            if !self.eat(")") {
                return Err(self.error("expected `)`"));
            }
            return Ok(inner);
        }
        self.term()
    }

    fn term(&mut self) -> Result<Expression, SelectorError> {
        self.skip_spaces();
        if self.eat_call("all") {
            return self.close_call(Expression::All);
        }
        if self.eat_call("global") {
            return self.close_call(Expression::Global);
        }
        if self.eat_call("has") {
            let key = self.key()?;
            if !self.eat(")") {
                return Err(self.error("expected `)` after the label key of `has(`"));
            }
            return Ok(Expression::Has(key));
        }
        let key = self.key()?;
        if self.eat("==") {
            return Ok(Expression::Equals(key, self.string()?));
        }
        if self.eat("!=") {
            return Ok(Expression::NotEquals(key, self.string()?));
        }
        if self.eat_word("in") {
            return Ok(Expression::In(key, self.set()?));
        }
        if self.eat_word("not") {
            if !self.eat_word("in") {
                return Err(self.error("expected `in` after `not`"));
            }
            return Ok(Expression::NotIn(key, self.set()?));
        }
        if self.eat_word("contains") {
            return Ok(Expression::Contains(key, self.string()?));
        }
        if self.eat_word("starts") {
            if !self.eat_word("with") {
                return Err(self.error("expected `with` after `starts`"));
            }
            return Ok(Expression::StartsWith(key, self.string()?));
        }
        if self.eat_word("ends") {
            if !self.eat_word("with") {
                return Err(self.error("expected `with` after `ends`"));
            }
            return Ok(Expression::EndsWith(key, self.string()?));
        }
        self.skip_spaces();
        Err(self.error(format!(
            "expected an operator after `{key}` (`==`, `!=`, `in`, `not in`, `contains`, `starts with`, `ends with`)"
        )))
    }

    /// `name(` with optional spaces before the parenthesis.
    fn eat_call(&mut self, name: &str) -> bool {
        let start = self.position;
        if self.eat_word(name) && self.eat("(") {
            return true;
        }
        self.position = start;
        false
    }

    fn close_call(&mut self, expression: Expression) -> Result<Expression, SelectorError> {
        if self.eat(")") {
            Ok(expression)
        } else {
            Err(self.error("expected `)`"))
        }
    }

    fn key(&mut self) -> Result<String, SelectorError> {
        self.skip_spaces();
        let start = self.position;
        while self.peek().is_some_and(is_key_char) {
            self.position += 1;
        }
        if start == self.position {
            return Err(match self.peek() {
                None => self.error("expected a label key, found the end of the expression"),
                Some(c) => self.error(format!("expected a label key, found `{c}`")),
            });
        }
        Ok(self.chars[start..self.position].iter().collect())
    }

    fn string(&mut self) -> Result<String, SelectorError> {
        self.skip_spaces();
        let Some(quote) = self.peek().filter(|c| *c == '\'' || *c == '"') else {
            return Err(self.error("expected a quoted string ('value' or \"value\")"));
        };
        let start = self.position;
        self.position += 1;
        let mut value = String::new();
        loop {
            match self.peek() {
                None => {
                    self.position = start;
                    return Err(self.error("unterminated string"));
                }
                Some(c) if c == quote => {
                    self.position += 1;
                    return Ok(value);
                }
                Some(c) => {
                    value.push(c);
                    self.position += 1;
                }
            }
        }
    }

    fn set(&mut self) -> Result<Vec<String>, SelectorError> {
        if !self.eat("{") {
            return Err(self.error("expected `{` to open the set of values"));
        }
        let mut values = Vec::new();
        if self.eat("}") {
            return Ok(values);
        }
        loop {
            values.push(self.string()?);
            if self.eat("}") {
                return Ok(values);
            }
            if !self.eat(",") {
                return Err(self.error("expected `,` or `}` in the set of values"));
            }
        }
    }
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}
