//! One binary, two names: `kubereach`, and `kubectl-reach`, which kubectl
//! runs for `kubectl reach …` (kubectl finds plugins as executables named
//! `kubectl-NAME` on `PATH` and passes them the arguments after the
//! plugin's name:
//! <https://kubernetes.io/docs/tasks/extend-kubectl/kubectl-plugins/>).
//! The name the binary was started under (`argv[0]`) decides which the help
//! and the completion scripts speak of.

use std::path::Path;

use clap::CommandFactory;

/// The executable name of the kubectl plugin.
pub const PLUGIN_EXECUTABLE: &str = "kubectl-reach";

/// How the binary was invoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invocation {
    /// As `kubereach`, or any other name.
    Standalone,
    /// As `kubectl-reach`: from `kubectl reach`, or directly.
    KubectlPlugin,
}

impl Invocation {
    /// The invocation of this process, from `argv[0]`.
    pub fn of_process() -> Invocation {
        let argv0 = std::env::args_os().next().unwrap_or_default();
        Invocation::from_argv0(Path::new(&argv0))
    }

    /// `kubectl-reach` (or `kubectl-reach.exe`) is the plugin, whatever the directory.
    fn from_argv0(argv0: &Path) -> Invocation {
        match argv0.file_stem().and_then(|stem| stem.to_str()) {
            Some(PLUGIN_EXECUTABLE) => Invocation::KubectlPlugin,
            _ => Invocation::Standalone,
        }
    }

    /// The executable's name, which shells complete.
    pub fn executable(self) -> &'static str {
        match self {
            Invocation::Standalone => "kubereach",
            Invocation::KubectlPlugin => PLUGIN_EXECUTABLE,
        }
    }

    /// The command line definition under this invocation's executable name.
    pub fn definition(self) -> clap::Command {
        crate::args::Args::command().name(self.executable())
    }

    /// [`Invocation::definition`] with usage lines in the words the user
    /// typed (`kubectl reach trace …`), for parsing.
    pub fn command(self) -> clap::Command {
        match self {
            Invocation::Standalone => self.definition(),
            Invocation::KubectlPlugin => self.definition().bin_name("kubectl reach"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv0_decides() {
        assert_eq!(
            Invocation::from_argv0(Path::new("/usr/local/bin/kubectl-reach")),
            Invocation::KubectlPlugin
        );
        assert_eq!(Invocation::from_argv0(Path::new("kubectl-reach.exe")), Invocation::KubectlPlugin);
        assert_eq!(Invocation::from_argv0(Path::new("./target/debug/kubereach")), Invocation::Standalone);
        assert_eq!(Invocation::from_argv0(Path::new("kubectl-reachable")), Invocation::Standalone);
        assert_eq!(Invocation::from_argv0(Path::new("")), Invocation::Standalone);
    }
}
