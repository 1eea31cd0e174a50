//! Scalars typed by the YAML 1.2 core schema (and the `!!` tags), as JSON
//! values.

use std::borrow::Cow;

use saphyr_parser::{ScalarStyle, Tag};
use serde_json::{Number, Value};

/// The handle `!!` resolves to.
pub(super) const CORE_TAG_HANDLE: &str = "tag:yaml.org,2002:";

/// The value of a scalar, by its tag, then its style and text.
pub(super) fn scalar_value(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Result<Value, (String, &'static str)> {
    if let Some(tag) = tag {
        if tag.handle == CORE_TAG_HANDLE {
            let invalid = |kind: &'static str| (text.to_string(), kind);
            match tag.suffix.as_str() {
                "str" => return Ok(Value::String(text.into_owned())),
                "null" => return Ok(Value::Null),
                "bool" => {
                    return match resolve_plain(&text) {
                        Some(Value::Bool(b)) => Ok(Value::Bool(b)),
                        _ => Err(invalid("bool")),
                    }
                }
                "int" => {
                    return match parse_int(&text) {
                        Some(n) => Ok(Value::Number(n)),
                        None => Err(invalid("int")),
                    }
                }
                "float" => {
                    if is_special_float(&text) {
                        return Ok(Value::String(text.into_owned()));
                    }
                    return match parse_float(&text).or_else(|| parse_int(&text)) {
                        Some(n) => Ok(Value::Number(n.as_f64().and_then(Number::from_f64).unwrap_or(n))),
                        None => Err(invalid("float")),
                    };
                }
                _ => {}
            }
        } else if (tag.handle.is_empty() && tag.suffix == "!") || (tag.handle == "!" && tag.suffix.is_empty())
        {
            // The non-specific tag `!` makes a plain scalar a string.
            return Ok(Value::String(text.into_owned()));
        }
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.into_owned()));
    }
    Ok(resolve_plain(&text).unwrap_or_else(|| Value::String(text.into_owned())))
}

/// Resolves a plain scalar by the YAML 1.2 core schema; `None` when it is a
/// string.
pub(super) fn resolve_plain(text: &str) -> Option<Value> {
    let first = match text.as_bytes().first() {
        None => return Some(Value::Null),
        Some(&b) => b,
    };
    match first {
        b'~' | b'n' | b'N' => matches!(text, "~" | "null" | "Null" | "NULL").then_some(Value::Null),
        b't' | b'T' => matches!(text, "true" | "True" | "TRUE").then_some(Value::Bool(true)),
        b'f' | b'F' => matches!(text, "false" | "False" | "FALSE").then_some(Value::Bool(false)),
        b'0'..=b'9' | b'+' | b'-' | b'.' => parse_int(text).or_else(|| parse_float(text)).map(Value::Number),
        _ => None,
    }
}

/// Parses a core schema integer: decimal with an optional sign, `0o` octal or
/// `0x` hexadecimal. Decimals beyond 64 bits become floats.
fn parse_int(text: &str) -> Option<Number> {
    if let Some(digits) = text.strip_prefix("0o") {
        return radix_int(digits, 8);
    }
    if let Some(digits) = text.strip_prefix("0x") {
        return radix_int(digits, 16);
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(Number::from(n));
    }
    if let Ok(n) = unsigned.parse::<u64>() {
        if !text.starts_with('-') {
            return Some(Number::from(n));
        }
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// Parses unsigned digits in a radix (as a core schema octal or hex int).
fn radix_int(digits: &str, radix: u32) -> Option<Number> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok().map(Number::from)
}

/// Parses a finite core schema float:
/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn parse_float(text: &str) -> Option<Number> {
    let b = text.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_digits = digits(&mut i);
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = digits(&mut i);
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// Whether a scalar is one of the core schema's infinities or NaNs, which
/// JSON numbers cannot hold.
fn is_special_float(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN")
}
