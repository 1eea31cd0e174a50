//! Running `kubereach` in a directory and rendering the run (arguments,
//! exit code, stdout, stderr) for whole-output snapshots.

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

/// The single-fault cases, one directory each, and the manifests they share.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("trace").join("fixtures")
}

/// This crate's directory: `-f demo` there loads the demo cluster.
pub fn crate_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// What a run of `kubereach` did.
#[derive(Debug, Clone)]
pub struct Run {
    /// The arguments, without the program name.
    pub args: Vec<String>,
    /// The exit code; `None` when killed by a signal.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `kubereach ARGS` in `dir`, with an empty standard input.
pub fn run(dir: &Path, args: &[&str]) -> Run {
    let output = assert_cmd::Command::new(env!("CARGO_BIN_EXE_kubereach"))
        .current_dir(dir)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .timeout(Duration::from_secs(60))
        .write_stdin(Vec::new())
        .output()
        .expect("run kubereach");
    Run {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
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

/// Checks a `kubereach.trace/v1` document: the contract's fields, exactly
/// typed, and the wording convention of summaries and fixes (lowercase
/// start, no final period).
#[track_caller]
pub fn check_contract(json: &serde_json::Value) {
    const LAYERS: [&str; 12] = [
        "source",
        "dns",
        "service-type",
        "service-port",
        "endpoints",
        "readiness",
        "ingress-class",
        "ingress-rule",
        "network-policy-egress",
        "network-policy-ingress",
        "cni",
        "destination",
    ];
    assert_eq!(json["schema"], "kubereach.trace/v1", "{json:#}");
    let verdict = json["verdict"].as_str().expect("verdict is a string");
    assert!(["allowed", "blocked"].contains(&verdict), "{json:#}");
    let steps = json["steps"].as_array().expect("steps is an array");
    match &json["blocked_at"] {
        serde_json::Value::Null => assert_eq!(verdict, "allowed"),
        serde_json::Value::String(layer) => {
            assert_eq!(verdict, "blocked");
            let first_fail = steps.iter().find(|s| s["status"] == "fail").expect("a failing step");
            assert_eq!(first_fail["layer"], layer.as_str());
        }
        other => panic!("blocked_at is {other}"),
    }
    let mut layers: Vec<&str> = Vec::new();
    for step in steps {
        let layer = step["layer"].as_str().expect("layer is a string");
        assert!(LAYERS.contains(&layer) || ["gateway", "route"].contains(&layer), "unknown layer {layer}");
        layers.push(layer);
        assert!(["pass", "fail", "skip", "warn"].contains(&step["status"].as_str().unwrap()), "{step:#}");
        assert!(step["evidence"].as_array().is_some_and(|e| e.iter().all(|x| x.is_string())), "{step:#}");
        for field in ["summary", "fix"] {
            let text = step[field].as_str().unwrap_or_else(|| panic!("{field} is a string: {step:#}"));
            let first = text.chars().next();
            assert!(
                first.is_none_or(|c| !c.is_uppercase()) && !text.ends_with('.'),
                "{field} breaks the wording convention: {text:?}"
            );
        }
    }
    // Through a Gateway, `gateway` and `route` take the place of the
    // Ingress layers.
    let mut all = LAYERS.to_vec();
    if layers.contains(&"gateway") {
        all = all
            .into_iter()
            .map(|l| match l {
                "ingress-class" => "gateway",
                "ingress-rule" => "route",
                other => other,
            })
            .collect();
    }
    layers.sort();
    all.sort();
    assert_eq!(layers, all, "every layer exactly once");
}
