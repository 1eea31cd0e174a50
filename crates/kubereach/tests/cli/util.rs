//! Helpers shared by the CLI tests: a temp dir to run in, the `kubereach`
//! binary, and a rendering of a run (arguments, exit code, stdout, stderr)
//! for whole-output snapshots.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Compares `$value` with the snapshot `$name` stored in `tests/snapshots/`.
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => true }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}
pub(crate) use snapshot;

/// The directory of this crate's committed fixtures.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

/// A temporary directory that commands run in, so that paths in their
/// output are the relative ones the test passed.
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    /// A new, empty directory.
    pub fn new() -> TestDir {
        TestDir { dir: tempfile::tempdir().expect("create a temp dir") }
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `relative`, creating parent directories.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> &TestDir {
        let path = self.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::write(&path, contents).expect("write a test file");
        self
    }

    /// Creates the directory `relative` (and its parents).
    pub fn mkdir(&self, relative: &str) -> &TestDir {
        std::fs::create_dir_all(self.path().join(relative)).expect("create a dir");
        self
    }

    /// Copies the fixture file or directory `fixture` to `relative`.
    pub fn copy_fixture(&self, fixture: &str, relative: &str) -> &TestDir {
        copy_recursively(&fixtures().join(fixture), &self.path().join(relative));
        self
    }

    /// Runs `kubereach ARGS` in this directory.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.path(), args, None)
    }

    /// Runs `kubereach ARGS` in this directory, killing it after `timeout`.
    pub fn run_with_timeout(&self, args: &[&str], timeout: Duration) -> Run {
        run_command(self.path(), args, None, timeout, &[])
    }

    /// Runs `kubereach ARGS` in this directory with these environment variables.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        run_command(self.path(), args, None, TIMEOUT, env)
    }

    /// Runs `kubereach ARGS` in this directory with `stdin` as standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        run_in(self.path(), args, Some(stdin))
    }

    /// Runs `kubereach ARGS` in this directory with `stdin`, any bytes, as
    /// standard input.
    pub fn run_with_stdin_bytes(&self, args: &[&str], stdin: &[u8]) -> Run {
        run_command(self.path(), args, Some(stdin), TIMEOUT, &[])
    }
}

/// How long a run may take before it is killed (and reported as killed).
const TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `kubereach ARGS` in `dir`, with `stdin` as standard input if given
/// (an empty one otherwise).
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    run_command(dir, args, stdin.map(str::as_bytes), TIMEOUT, &[])
}

fn run_command(
    dir: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    timeout: Duration,
    env: &[(&str, &str)],
) -> Run {
    let mut command = assert_cmd::Command::new(env!("CARGO_BIN_EXE_kubereach"));
    // No kubeconfig or pod environment of the machine running the tests:
    // without `-f`, commands read the current context.
    command
        .current_dir(dir)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", dir)
        .envs(env.iter().copied())
        .timeout(timeout);
    command.write_stdin(stdin.unwrap_or_default().to_vec());
    let output = command.output().expect("run kubereach");
    Run {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// What a run of `kubereach` did.
#[derive(Debug, Clone)]
pub struct Run {
    /// The arguments, without the program name.
    pub args: Vec<String>,
    /// The exit code; `None` when killed by a signal (a crash, or the timeout).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the whole run when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, Some(code), "unexpected exit code:\n{self}");
        self
    }

    /// The stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }

    /// Asserts that the run did not panic (no crash, no panic message).
    #[track_caller]
    pub fn assert_no_panic(&self) -> &Run {
        assert!(self.code.is_some(), "killed by a signal:\n{self}");
        assert_ne!(self.code, Some(101), "panicked:\n{self}");
        assert!(!self.stderr.contains("panicked"), "panicked:\n{self}");
        self
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code.map_or_else(|| "killed by a signal".to_owned(), |c| c.to_string());
        writeln!(f, "args: {}", self.args.join(" "))?;
        writeln!(f, "exit code: {code}")?;
        writeln!(f, "----- stdout -----")?;
        write!(f, "{}", self.stdout)?;
        writeln!(f, "----- stderr -----")?;
        write!(f, "{}", self.stderr)
    }
}

fn copy_recursively(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).expect("create a dir");
        for entry in std::fs::read_dir(from).expect("read a fixture dir") {
            let entry = entry.expect("read a fixture dir entry");
            copy_recursively(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::copy(from, to).expect("copy a fixture");
    }
}

/// A path inside an inventory JSON: `namespaces[name=prod].workloads[name=api]`
/// style lookups are spelled with these helpers.
pub fn namespace<'a>(inventory: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    find_named(&inventory["namespaces"], name)
        .unwrap_or_else(|| panic!("no namespace `{name}` in the inventory:\n{inventory:#}"))
}

/// The entry called `name` in a JSON array of objects with a `name` field.
pub fn find_named<'a>(array: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    array.as_array()?.iter().find(|item| item["name"] == name)
}

/// The entry of kind `kind` called `name` in a namespace's `workloads`.
#[track_caller]
pub fn workload<'a>(ns: &'a serde_json::Value, kind: &str, name: &str) -> &'a serde_json::Value {
    ns["workloads"]
        .as_array()
        .and_then(|w| w.iter().find(|w| w["kind"] == kind && w["name"] == name))
        .unwrap_or_else(|| panic!("no {kind} `{name}` in namespace {}:\n{ns:#}", ns["name"]))
}
