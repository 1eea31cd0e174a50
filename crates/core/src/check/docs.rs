//! Rule pages: sections of a rule's doc comment, its YAML examples, and the
//! Markdown page `docs/rules/<name>.md` generated from it.

use crate::check::Rule;

/// The YAML blocks of a rule's `## Example` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleExamples {
    /// The manifests the rule fires on (the block before `Use instead:`).
    pub failing: String,
    /// The fixed manifests (the block after `Use instead`), on which it does not.
    pub fixed: String,
}

/// The page of `rule`, as written to `docs/rules/<name>.md`.
pub fn markdown_page(rule: &Rule) -> String {
    format!(
        "<!-- Generated from the doc comment of `{}` in crates/core/src/check/: edit it there, then run \
         `KUBEREACH_BLESS=1 cargo test -p kubereach --test check docs`. -->\n\n\
         # `{}` ({})\n\n\
         Default severity: **{}**. Finds {}.\n\n{}",
        rule.name,
        rule.name,
        rule.code,
        rule.default_severity,
        rule.summary,
        rule.doc_text()
    )
}

/// The failing and fixed YAML of `rule`'s `## Example` section; `None`
/// when the section lacks either block.
pub fn yaml_examples(rule: &Rule) -> Option<RuleExamples> {
    let example = section(&rule.doc_text(), "Example");
    let (before, after) = example.split_once("\nUse instead")?;
    Some(RuleExamples { failing: first_yaml_block(before)?, fixed: first_yaml_block(after)? })
}

/// The text under `## heading` up to the next `## ` heading (outside code
/// blocks), trimmed; empty when absent.
pub(crate) fn section(text: &str, heading: &str) -> String {
    let mut lines = Vec::new();
    let mut inside = false;
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if !fenced && line.starts_with("## ") {
            if inside {
                break;
            }
            inside = line[3..].trim() == heading;
            continue;
        }
        if inside {
            lines.push(line);
        }
    }
    lines.join("\n").trim().to_owned()
}

fn first_yaml_block(text: &str) -> Option<String> {
    let start = text.find("```yaml\n")? + "```yaml\n".len();
    let end = text[start..].find("\n```")?;
    Some(format!("{}\n", &text[start..start + end]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::RULES;

    #[test]
    fn every_rule_has_both_examples() {
        for rule in RULES {
            let examples = yaml_examples(rule).unwrap_or_else(|| panic!("{}: no YAML examples", rule.name));
            assert!(examples.failing.contains("kind:"), "{}", rule.name);
            assert!(examples.fixed.contains("kind:"), "{}", rule.name);
            assert_ne!(examples.failing, examples.fixed, "{}", rule.name);
        }
    }

    #[test]
    fn sections_skip_code_blocks() {
        let text = "## A\none\n```yaml\n## not a heading\n```\n## B\ntwo\n";
        assert_eq!(section(text, "A"), "one\n```yaml\n## not a heading\n```");
        assert_eq!(section(text, "B"), "two");
        assert_eq!(section(text, "C"), "");
    }
}
