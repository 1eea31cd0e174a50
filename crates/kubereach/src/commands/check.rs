//! `kubereach check`: the rules of `kubereach_core::check`, configured by
//! `.kubereach.yaml` and the command line.

use std::path::{Path, PathBuf};

use anyhow::Result;
use kubereach_core::check::{self, find_rule, Config, FileConfig, RuleSetting, Severity};

use crate::args::{CheckArgs, CheckFormat, Selector, SeverityArg};
use crate::exit::ExitStatus;
use crate::output;

/// The config file read from the working directory when `--config` is not given.
const CONFIG_FILE: &str = ".kubereach.yaml";

pub fn run(args: &CheckArgs) -> Result<ExitStatus> {
    if args.list_rules {
        match args.format {
            CheckFormat::Json => output::write_json(&output::check::rules_json())?,
            CheckFormat::Yaml => output::write_yaml(&output::check::rules_json())?,
            _ => output::write_stdout(&output::check::rules_human())?,
        }
        return Ok(ExitStatus::Success);
    }
    let file = match read_config(args.config.as_deref()) {
        Ok(file) => file,
        Err(message) => {
            eprintln!("{message}");
            return Ok(ExitStatus::Error);
        }
    };
    let Some(rules) = rules(args, file.rules) else { return Ok(ExitStatus::Error) };
    let fail_on = args.fail_on.map(severity).or(file.fail_on).unwrap_or(Severity::Error);

    // Paths given without `-f` (as pre-commit and kubeconform pass them) are `-f` paths.
    let mut source = args.source.clone();
    source.filenames.extend(args.paths.iter().cloned());
    let Some(loaded) = super::load(&source) else { return Ok(ExitStatus::Error) };
    let plugin = kubereach_core::cni::behaviour(&loaded.cluster, &args.plugin.overrides());
    let report = check::check(&loaded.cluster, &rules, &plugin);
    output::print_diagnostics(&report.notes);
    let report = match &args.selector {
        Some(selector) => only_labelled(report, &loaded.cluster, selector),
        None => report,
    };
    let input = output::check::Input {
        diagnostics: loaded.cluster.diagnostics(),
        skipped_kinds: loaded.cluster.skipped_kinds(),
    };
    match args.format {
        CheckFormat::Human => {
            let mut text = output::check::human(&report);
            text.push_str(&output::check::skipped_kinds(input.skipped_kinds));
            output::write_stdout(&text)?
        }
        CheckFormat::Json => output::write_json(&kubereach_core::check::document(&report, &loaded.cluster))?,
        CheckFormat::Yaml => output::write_yaml(&kubereach_core::check::document(&report, &loaded.cluster))?,
        CheckFormat::Sarif => output::write_json(&output::check::sarif(&report, &input))?,
    }
    Ok(if loaded.failed {
        ExitStatus::Error
    } else if report.findings.iter().any(|f| f.severity >= fail_on) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The findings about objects whose own labels match `selector` (`-l`).
fn only_labelled(
    mut report: check::CheckReport,
    cluster: &kubereach_core::Cluster,
    selector: &Selector,
) -> check::CheckReport {
    let matches = |finding: &check::Finding| {
        let object = &finding.object;
        kubereach_core::label_query::object_labels(
            cluster,
            &object.kind,
            object.namespace.as_deref(),
            &object.name,
        )
        .is_some_and(|labels| kubereach_core::labels::selector_matches(&selector.selector, &labels))
    };
    report.findings.retain(matches);
    report.suppressed.retain(matches);
    report
}

fn severity(arg: SeverityArg) -> Severity {
    match arg {
        SeverityArg::Error => Severity::Error,
        SeverityArg::Warning => Severity::Warning,
        SeverityArg::Info => Severity::Info,
    }
}

/// The configured rules with `--disable` and `--enable` applied; `None`
/// (after printing why) when one names no rule.
fn rules(args: &CheckArgs, mut rules: Config) -> Option<Config> {
    for name in &args.disable {
        if let Err(error) = rules.set(name, RuleSetting::Off) {
            eprintln!("kubereach: --disable: {error}");
            return None;
        }
    }
    for name in &args.enable {
        let Some(rule) = find_rule(name) else {
            let error = Config::default().set(name, RuleSetting::On).expect_err("no such rule");
            eprintln!("kubereach: --enable: {error}");
            return None;
        };
        if !rules.is_enabled(rule) {
            rules.set(name, RuleSetting::On).expect("a known rule");
        }
    }
    Some(rules)
}

/// Reads the config file: `path`, or `.kubereach.yaml` when present. The
/// error is the full message to print.
pub(crate) fn read_config(path: Option<&Path>) -> Result<FileConfig, String> {
    let (path, required) = match path {
        Some(path) => (path.to_owned(), true),
        None => (PathBuf::from(CONFIG_FILE), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(FileConfig::default())
        }
        Err(error) => return Err(format!("kubereach: cannot read {}: {error}", path.display())),
    };
    let shown = path.display();
    let mut documents = kubereach_load::yaml::parse_stream(&text).into_iter();
    let Some(document) = documents.next() else { return Ok(FileConfig::default()) };
    if let Some(extra) = documents.next() {
        return Err(format!("{shown}:{}: error: a config file holds one document", extra.line));
    }
    let parsed = document.content.map_err(|e| format!("{shown}:{}: error: {}", e.line, e.message))?;
    check::parse_config(&parsed.value).map_err(|error| {
        let line = line_of(&parsed.field_lines, &error.path).unwrap_or(document.line);
        format!("{shown}:{line}: error: {}", error.message)
    })
}

/// The line of the field at `path`, or of its closest recorded ancestor.
fn line_of(lines: &[(String, u32)], path: &str) -> Option<u32> {
    let mut path = path;
    loop {
        if let Some((_, line)) = lines.iter().find(|(p, _)| p == path) {
            return Some(*line);
        }
        path = &path[..path.rfind('.')?];
    }
}
