//! `docs/rules/` is generated from the rules' doc comments: one page per
//! rule, and the catalogue table of `docs/rules/README.md` between its
//! markers. The test fails when a page is stale, missing or orphaned;
//! `KUBEREACH_BLESS=1` rewrites them instead.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kubereach_core::check::{markdown_page, RULES};

use super::util::repo_root;

const BEGIN: &str = "<!-- begin generated catalogue -->";
const END: &str = "<!-- end generated catalogue -->";

fn docs_dir() -> PathBuf {
    repo_root().join("docs").join("rules")
}

/// The catalogue table, with links to the pages.
fn catalogue() -> String {
    let mut table = String::from("| code | rule | default severity | finds |\n| --- | --- | --- | --- |\n");
    for rule in RULES {
        table.push_str(&format!(
            "| {} | [`{}`]({}.md) | {} | {} |\n",
            rule.code,
            rule.name,
            rule.name,
            rule.default_severity,
            rule.summary.replace('|', "\\|")
        ));
    }
    table
}

#[test]
fn rule_pages_are_up_to_date() {
    let bless = std::env::var("KUBEREACH_BLESS").is_ok_and(|v| v == "1");
    let dir = docs_dir();
    let mut expected: BTreeMap<String, String> =
        RULES.iter().map(|rule| (format!("{}.md", rule.name), markdown_page(rule))).collect();

    let readme_path = dir.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).expect("docs/rules/README.md exists");
    let (Some(begin), Some(end)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("docs/rules/README.md lacks the `{BEGIN}` and `{END}` markers");
    };
    let regenerated = format!("{}{BEGIN}\n{}{}", &readme[..begin], catalogue(), &readme[end..]);
    expected.insert("README.md".to_owned(), regenerated);

    let mut problems = Vec::new();
    for (name, text) in &expected {
        let path = dir.join(name);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != *text {
            if bless {
                std::fs::create_dir_all(&dir).expect("create docs/rules");
                std::fs::write(&path, text).expect("write a rule page");
            } else {
                problems.push(format!("docs/rules/{name} is stale or missing"));
            }
        }
    }
    for entry in std::fs::read_dir(&dir).expect("read docs/rules") {
        let name = entry.expect("a docs/rules entry").file_name().to_string_lossy().into_owned();
        if !expected.contains_key(&name) {
            if bless {
                std::fs::remove_file(dir.join(&name)).expect("remove an orphaned page");
            } else {
                problems.push(format!("docs/rules/{name} belongs to no rule"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nregenerate with `KUBEREACH_BLESS=1 cargo test -p kubereach --test check docs`",
        problems.join("\n")
    );
}
