//! `kubereach check`: the rules of `kubereach_core::check`, configured by
//! `.kubereach.yaml` and the command line.

use std::path::{Path, PathBuf};

use anyhow::Result;
use kubereach_core::check::{self, find_rule, Config, FileConfig, RuleSetting, Severity};
use kubereach_core::origin::Location;

use super::error::CommandError;
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
    let configured =
        load_config(args.config.as_deref()).and_then(|file| Ok((rules(args, file.rules)?, file.fail_on)));
    let (rules, configured_fail_on) = match configured {
        Ok(configured) => configured,
        Err(error) => match error.diagnostic() {
            // An input error, shown like the cluster's: `file:line: error: …`.
            Some(diagnostic) => {
                output::print_diagnostics_only(&[diagnostic]);
                return Ok(ExitStatus::Error);
            }
            None => return Err(error.into()),
        },
    };
    let fail_on = args.fail_on.map(severity).or(configured_fail_on).unwrap_or(Severity::Error);

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

/// The configured rules with `--disable` and `--enable` applied.
fn rules(args: &CheckArgs, mut rules: Config) -> Result<Config, CommandError> {
    for name in &args.disable {
        rules
            .set(name, RuleSetting::Off)
            .map_err(|source| CommandError::UnknownRule { flag: "--disable", source })?;
    }
    for name in &args.enable {
        // A rule that is on keeps the severity the config file gives it.
        if find_rule(name).is_some_and(|rule| rules.is_enabled(rule)) {
            continue;
        }
        rules
            .set(name, RuleSetting::On)
            .map_err(|source| CommandError::UnknownRule { flag: "--enable", source })?;
    }
    Ok(rules)
}

/// Reads the config file: `path`, or `.kubereach.yaml` when present. The
/// error is the full message to print.
pub(crate) fn read_config(path: Option<&Path>) -> Result<FileConfig, String> {
    load_config(path).map_err(|error| error.message())
}

/// Reads the config file: `path`, or `.kubereach.yaml` when present.
fn load_config(path: Option<&Path>) -> Result<FileConfig, CommandError> {
    let (path, required) = match path {
        Some(path) => (path.to_owned(), true),
        None => (PathBuf::from(CONFIG_FILE), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(FileConfig::default())
        }
        Err(source) => return Err(CommandError::ConfigUnreadable { path, source }),
    };
    let invalid = |line: u32, message: String| CommandError::ConfigInvalid {
        location: Location::new(Some(path.display().to_string()), line),
        message,
    };
    let mut documents = kubereach_load::yaml::parse_stream(&text).into_iter();
    let Some(document) = documents.next() else { return Ok(FileConfig::default()) };
    if let Some(extra) = documents.next() {
        return Err(invalid(extra.line, "a config file holds one document".to_owned()));
    }
    let parsed = document.content.map_err(|e| invalid(e.line(), e.message()))?;
    check::parse_config(&parsed.value).map_err(|error| {
        invalid(line_of(&parsed.field_lines, &error.path).unwrap_or(document.line), error.message)
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
