//! The man pages in `docs/man/` are generated from the command line
//! definitions (clap_mangen): one page for `kubereach`, one per command.
//! The test fails when a page is stale, missing or orphaned;
//! `KUBEREACH_BLESS=1` rewrites them instead.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::plugin::Invocation;

/// Every page: file name → roff text.
fn pages() -> BTreeMap<String, String> {
    let mut command = Invocation::Standalone.command();
    command.build();
    let mut pages = BTreeMap::new();
    pages.insert("kubereach.1".to_owned(), render(command.clone()));
    for subcommand in command.get_subcommands().filter(|c| c.get_name() != "help") {
        let name = format!("kubereach-{}", subcommand.get_name());
        let page = subcommand
            .clone()
            .name(name.clone().leak() as &str)
            .bin_name(format!("kubereach {}", subcommand.get_name()));
        pages.insert(format!("{name}.1"), render(page));
    }
    pages
}

fn render(command: clap::Command) -> String {
    let mut roff = Vec::new();
    clap_mangen::Man::new(command).render(&mut roff).expect("rendering into memory");
    String::from_utf8(roff).expect("clap_mangen writes UTF-8")
}

#[test]
fn man_pages_are_up_to_date() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/man");
    let bless = std::env::var("KUBEREACH_BLESS").is_ok_and(|v| v == "1");
    let expected = pages();
    let mut problems = Vec::new();
    for (name, text) in &expected {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if bless {
            std::fs::create_dir_all(&dir).expect("create docs/man");
            std::fs::write(&path, text).expect("write a man page");
        } else {
            problems.push(format!("docs/man/{name} is stale or missing"));
        }
    }
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".1") && !expected.contains_key(&name) {
            if bless {
                std::fs::remove_file(entry.path()).expect("remove an orphaned man page");
            } else {
                problems.push(format!("docs/man/{name} belongs to no command"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nrun `KUBEREACH_BLESS=1 cargo test -p kubereach man_pages` to regenerate",
        problems.join("\n")
    );
}
