//! `kubereach completion SHELL`: the shell completion script, generated
//! from the same definitions as the parser (clap_complete), so it cannot
//! drift. Beyond what the definitions say, rule names and codes are offered
//! for `check --enable/--disable`.

use anyhow::Result;
use clap::builder::PossibleValuesParser;

use crate::args::{CompletionArgs, Shell};
use crate::exit::ExitStatus;
use crate::plugin::Invocation;

pub fn run(args: &CompletionArgs) -> Result<ExitStatus> {
    let invocation = Invocation::of_process();
    let mut script = Vec::new();
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut completable(invocation), invocation.executable(), &mut script);
    crate::output::write_stdout(&String::from_utf8_lossy(&script))?;
    Ok(ExitStatus::Success)
}

/// The command line definition with rule codes and names as the values of
/// `check --enable` and `--disable`. Only for completion: the parser keeps
/// accepting any text there, so that an unknown rule gets `check`'s own
/// message with close names.
fn completable(invocation: Invocation) -> clap::Command {
    let rules: Vec<&'static str> =
        kubereach_core::check::RULES.iter().flat_map(|rule| [rule.code, rule.name]).collect();
    invocation.definition().mut_subcommand("check", |check| {
        let with_rules = |arg: clap::Arg| arg.value_parser(PossibleValuesParser::new(rules.clone()));
        check.mut_arg("enable", with_rules).mut_arg("disable", with_rules)
    })
}
