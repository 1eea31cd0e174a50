//! kubectl's habits: `-o`, the `kubectl-reach` plugin name, shell
//! completion, colour on terminals only.

use super::util::{snapshot, TestDir};

/// The demo manifests in `demo/`.
fn demo() -> TestDir {
    let dir = TestDir::new();
    dir.run(&["demo", "--export", "demo"]).assert_code(0);
    dir
}

/// `-o FORMAT` and `--output FORMAT` are `--format FORMAT`, byte for byte,
/// on every command that has formats.
#[test]
fn dash_o_is_format() {
    let dir = demo();
    let cases: [&[&str]; 7] = [
        &["inventory", "-f", "demo"],
        &["matrix", "-f", "demo"],
        &["check", "-f", "demo"],
        &["trace", "-f", "demo", "production/frontend", "http://api-service.production/"],
        &["dns", "-f", "demo", "--from", "production/frontend", "api-service"],
        &["diff", "demo", "demo"],
        &["check", "--list-rules"],
    ];
    for args in cases {
        for format in ["json", "human"] {
            let long = dir.run(&[args, &["--format", format]].concat());
            let short = dir.run(&[args, &["-o", format]].concat());
            let output = dir.run(&[args, &["--output", format]].concat());
            assert_eq!(long.stdout, short.stdout, "{args:?} -o {format}");
            assert_eq!(long.code, short.code, "{args:?} -o {format}");
            assert_eq!(long.stdout, output.stdout, "{args:?} --output {format}");
            assert!(!long.stdout.is_empty(), "{long}");
        }
    }
}

/// `-o yaml` is the JSON document in YAML: read back, it is the same value.
#[test]
fn yaml_is_the_json_document() {
    let dir = demo();
    let cases: [&[&str]; 6] = [
        &["inventory", "-f", "demo"],
        &["matrix", "-f", "demo"],
        &["matrix", "-f", "demo", "--explain", "production/frontend", "production/api"],
        &["check", "-f", "demo"],
        &["trace", "-f", "demo", "production/frontend", "http://api-service.production/"],
        &["diff", "demo", "demo"],
    ];
    for args in cases {
        let json = dir.run(&[args, &["-o", "json"]].concat()).json();
        let yaml = dir.run(&[args, &["-o", "yaml"]].concat());
        let documents = kubereach_load::yaml::parse_stream(&yaml.stdout);
        assert_eq!(documents.len(), 1, "{yaml}");
        let value = documents.into_iter().next().unwrap().content.expect("valid YAML").value;
        assert_eq!(value, json, "{args:?}");
    }
}

/// `snapshot` keeps `-o FILE`: it has one format, and kubectl's own
/// commands that write files name them with `-o`'s neighbours, not `-o`.
#[test]
fn snapshot_keeps_dash_o_for_its_file() {
    let run = TestDir::new().run(&["snapshot", "--help"]);
    run.assert_code(0);
    assert!(run.stdout.contains("-o, --output <FILE>"), "{run}");
}

/// Installed as `kubectl-reach`, the binary is the `kubectl reach` plugin:
/// kubectl runs it with the arguments after `reach`
/// (https://kubernetes.io/docs/tasks/extend-kubectl/kubectl-plugins/).
#[test]
fn kubectl_reach_plugin_by_argv0() {
    let dir = demo();
    let plugin = dir.path().join("bin").join("kubectl-reach");
    std::fs::create_dir_all(plugin.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kubereach"), &plugin).unwrap();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(&plugin)
            .args(args)
            .current_dir(dir.path())
            .env_remove("KUBECONFIG")
            .env("HOME", dir.path())
            .output()
            .unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (code, help) = run(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(help.contains("Usage: kubectl reach [OPTIONS] <COMMAND>"), "{help}");
    let (code, trace) =
        run(&["trace", "-f", "demo", "production/frontend", "http://api-service.production/"]);
    let direct = dir.run(&["trace", "-f", "demo", "production/frontend", "http://api-service.production/"]);
    assert_eq!((code, trace), (direct.code, direct.stdout));
    let (_, completion) = run(&["completion", "bash"]);
    assert!(completion.contains("-o bashdefault -o default kubectl-reach\n"), "{completion}");
    assert!(!dir.run(&["--help"]).stdout.contains("kubectl reach"), "as `kubereach` it says so");
}

/// The completion scripts: bash parses its script (`bash -n`); every shell
/// gets one that names the commands, the formats and the rule codes.
#[test]
fn completion_scripts() {
    let dir = TestDir::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = dir.run(&["completion", shell]);
        run.assert_code(0);
        // PowerShell's script completes commands and flags, not values.
        let words: &[&str] = match shell {
            "powershell" => &["trace", "matrix", "filename"],
            _ => &["trace", "matrix", "filename", "sarif", "KR307", "service-no-matching-pods"],
        };
        for word in words {
            assert!(run.stdout.contains(word), "{shell}: no `{word}`");
        }
    }
    let bash = dir.run(&["completion", "bash"]);
    dir.write("kubereach.bash", &bash.stdout);
    let Ok(syntax) =
        std::process::Command::new("bash").args(["-n", "kubereach.bash"]).current_dir(dir.path()).output()
    else {
        eprintln!("skipped the syntax check: `bash` is not installed");
        return;
    };
    assert!(syntax.status.success(), "{}", String::from_utf8_lossy(&syntax.stderr));
    // Sourced, it registers the completion function for `kubereach`.
    let registered = std::process::Command::new("bash")
        .args(["-c", "source kubereach.bash && complete -p kubereach"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&registered.stdout).contains("_kubereach"), "{registered:?}");
    dir.run(&["completion", "tcsh"]).assert_code(2);
}

const TRACE: [&str; 5] = ["trace", "-f", "demo", "production/frontend", "http://api-service.production/"];

/// Colour only when asked or on a terminal: `--color always` colours a
/// pipe, `auto` (the default) does not, `NO_COLOR` turns `auto` off.
#[test]
fn colour_in_pipes_only_when_asked() {
    let dir = demo();
    let plain = dir.run(&TRACE);
    assert!(!plain.stdout.contains('\x1b'), "{plain}");
    let always = dir.run(&[&TRACE[..], &["--color", "always"]].concat());
    snapshot!("trace_colour_always", always.stdout.replace('\x1b', "<ESC>"));
    assert_eq!(strip_ansi(&always.stdout), plain.stdout, "colour adds nothing but escapes");
    let never = dir.run_with_env(&[&TRACE[..], &["--color", "never"]].concat(), &[]);
    assert_eq!(never.stdout, plain.stdout);
    let no_color = dir.run_with_env(&[&TRACE[..], &["--color", "always"]].concat(), &[("NO_COLOR", "1")]);
    assert_eq!(no_color.stdout, always.stdout, "an explicit --color overrides NO_COLOR");
    let check = dir.run(&["check", "-f", "demo", "--color", "always"]);
    assert!(check.stdout.contains("\x1b[31merror\x1b[0m[KR307]"), "{check}");
    assert!(check.stdout.contains("\x1b[33mwarning\x1b[0m[KR207]"), "{check}");
    assert!(check.stdout.contains("\x1b[36minfo\x1b[0m[KR308]"), "{check}");
    assert_eq!(strip_ansi(&check.stdout), dir.run(&["check", "-f", "demo"]).stdout);
    // Without its policies, the demo gains connections: `added` is green.
    dir.copy_fixture("../../demo", "open");
    std::fs::remove_file(dir.path().join("open/50-network-policies.yaml")).unwrap();
    let diff = dir.run(&["diff", "demo", "open", "--color", "always"]);
    diff.assert_code(1);
    assert!(diff.stdout.starts_with("\x1b[32madded (26):\x1b[0m\n"), "{diff}");
    assert_eq!(strip_ansi(&diff.stdout), dir.run(&["diff", "demo", "open"]).stdout);
}

/// On a pseudo-terminal, human output is coloured unless `NO_COLOR` or
/// `--color never`; `script` (util-linux) provides the terminal.
#[test]
fn colour_on_a_terminal() {
    let dir = demo();
    // Without the progress line, which is stderr's, on the same terminal.
    let trace = format!("{} --quiet", TRACE.join(" "));
    let Some(coloured) = on_terminal(&dir, &trace, &[]) else { return };
    assert!(coloured.contains("\x1b[31m✘\x1b[0m network-policy-ingress"), "{coloured:?}");
    assert!(coloured.contains("\x1b[32m✔\x1b[0m source"), "{coloured:?}");
    assert!(coloured.contains("\x1b[31mblocked at network-policy-ingress\x1b[0m"), "{coloured:?}");
    let without = on_terminal(&dir, &trace, &[("NO_COLOR", "1")]).unwrap();
    assert!(!without.contains("\x1b["), "{without:?}");
    let never = on_terminal(&dir, &format!("{trace} --color never"), &[]).unwrap();
    assert!(!never.contains("\x1b["), "{never:?}");
    // Into a file from a terminal: no colour, whatever stderr is.
    let piped = on_terminal(&dir, &format!("{trace} > out.txt"), &[]).unwrap();
    assert!(!std::fs::read_to_string(dir.path().join("out.txt")).unwrap().contains('\x1b'), "{piped:?}");
}

/// Runs `kubereach ARGS` under `script`, which gives it a pseudo-terminal,
/// and returns what the terminal showed; `None` (skipped) without `script`.
pub fn on_terminal(dir: &TestDir, args: &str, env: &[(&str, &str)]) -> Option<String> {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_kubereach"));
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .env_remove("KUBECONFIG")
        .env_remove("NO_COLOR")
        .env("HOME", dir.path())
        .envs(env.iter().copied())
        .output();
    let Ok(output) = output else {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return None;
    };
    Some(String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n"))
}

/// `text` without ANSI colour sequences.
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("\x1b[") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('m').map_or(after.len(), |i| i + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// kubectl's `TYPE/NAME` with `-n` (as `kubectl exec -n production
/// deploy/frontend` takes it) is the same trace as `NAMESPACE/NAME`, byte
/// for byte; a name of another type is a usage error.
#[test]
fn kubectl_forms_trace_the_same() {
    let dir = demo();
    let same = [
        (
            ["-n", "production", "deploy/frontend", "svc/api-service:80"],
            ["production/frontend", "svc/production/api-service:80"],
        ),
        (
            ["-n", "production", "deployment/frontend", "deploy/api:http"],
            ["production/frontend", "production/api:http"],
        ),
        (
            ["-n", "monitoring", "deploy/prometheus", "http://api-service.production/"],
            ["monitoring/prometheus", "http://api-service.production/"],
        ),
        (["-n", "production", "external", "svc/frontend:http"], ["external", "svc/production/frontend:http"]),
    ];
    for (kubectl, today) in same {
        let kubectl = dir.run(&[&["trace", "-f", "demo", "-o", "json"], &kubectl[..]].concat());
        let today = dir.run(&[&["trace", "-f", "demo", "-o", "json"], &today[..]].concat());
        assert_eq!(kubectl.stdout, today.stdout, "{kubectl}");
        assert_eq!(kubectl.code, today.code);
        assert!(kubectl.json()["schema"] == "kubereach.trace/v1", "{kubectl}");
    }
    let wrong_type =
        dir.run(&["trace", "-f", "demo", "-n", "production", "sts/frontend", "svc/api-service:80"]);
    wrong_type.assert_code(2);
    assert_eq!(wrong_type.stderr, "kubereach: statefulset `frontend` not found in namespace `production`\n");
    let no_namespace = dir.run(&["trace", "-f", "demo", "deploy/frontend", "svc/api-service:80"]);
    no_namespace.assert_code(2);
    assert_eq!(no_namespace.stderr, "kubereach: deployment `frontend` not found in namespace `default`\n");
    let two =
        dir.run(&["trace", "-f", "demo", "-n", "a", "-n", "b", "deploy/frontend", "svc/api-service:80"]);
    two.assert_code(2);
    assert!(two.stderr.contains("needs one namespace: give `-n NAMESPACE` once"), "{two}");
}

/// The hook of `.pre-commit-hooks.yaml`, run as pre-commit runs it: its
/// `entry`, its `args`, then the names of the changed files
/// (https://pre-commit.com/#hooks-entry, `pass_filenames` defaults to true).
#[test]
fn pre_commit_hook_runs_check_on_changed_files() {
    let text = std::fs::read_to_string(super::util::repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let documents = kubereach_load::yaml::parse_stream(&text);
    let hooks = documents.into_iter().next().unwrap().content.expect("valid YAML").value;
    let hook = hooks.as_array().unwrap().iter().find(|h| h["id"] == "kubereach-check").expect("the hook");
    assert_eq!(hook["language"], "rust", "pre-commit installs it with cargo");
    assert!(hook.get("pass_filenames").is_none_or(|v| v == true), "{hook}");
    let entry: Vec<String> = hook["entry"].as_str().unwrap().split_whitespace().map(str::to_owned).collect();
    assert_eq!(entry[0], "kubereach");
    let args: Vec<String> =
        hook["args"].as_array().into_iter().flatten().map(|a| a.as_str().unwrap().to_owned()).collect();
    let dir = demo();
    dir.copy_fixture("../check/fixtures/healthy-shop.yaml", "k8s/shop.yaml");
    let run_hook = |files: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kubereach"))
            .args(&entry[1..])
            .args(&args)
            .args(files)
            .current_dir(dir.path())
            .env_remove("KUBECONFIG")
            .env("HOME", dir.path())
            .output()
            .unwrap()
    };
    let healthy = run_hook(&["k8s/shop.yaml"]);
    assert_eq!(healthy.status.code(), Some(0), "{healthy:?}");
    assert!(String::from_utf8_lossy(&healthy.stdout).contains("no findings"), "{healthy:?}");
    let files: Vec<String> = std::fs::read_dir(dir.path().join("demo"))
        .unwrap()
        .map(|e| format!("demo/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let faulty = run_hook(&files);
    assert_eq!(faulty.status.code(), Some(1), "{faulty:?}");
    assert!(String::from_utf8_lossy(&faulty.stdout).contains("error[KR307]"), "{faulty:?}");
}

/// `plugins/reach.yaml` is a krew plugin manifest once krew-release-bot
/// has filled in the tag, the URIs and the checksums
/// (https://krew.sigs.k8s.io/docs/developer-guide/plugin-manifest/).
#[test]
fn krew_manifest() {
    let template = std::fs::read_to_string(super::util::repo_root().join("plugins/reach.yaml")).unwrap();
    // What the bot does: `{{addURIAndSha "URL" .TagName }}` becomes `uri:` and `sha256:`.
    let mut rendered = String::new();
    for line in template.replace("{{ .TagName }}", "v0.1.0").lines() {
        match line.trim_start().strip_prefix("{{addURIAndSha \"") {
            Some(rest) => {
                let uri = rest.split('"').next().unwrap();
                rendered.push_str(&format!("    uri: {uri}\n    sha256: {}\n", "0".repeat(64)));
            }
            None => rendered.push_str(&format!("{line}\n")),
        }
    }
    assert!(!rendered.contains("{{"), "{rendered}");
    let documents = kubereach_load::yaml::parse_stream(&rendered);
    let manifest = documents.into_iter().next().unwrap().content.expect("valid YAML").value;
    assert_eq!(manifest["apiVersion"], "krew.googlecontainertools.github.com/v1alpha2");
    assert_eq!(manifest["kind"], "Plugin");
    assert_eq!(manifest["metadata"]["name"], "reach", "installed as `kubectl-reach`");
    assert_eq!(manifest["spec"]["version"], "v0.1.0");
    let mut platforms: Vec<String> = Vec::new();
    for platform in manifest["spec"]["platforms"].as_array().unwrap() {
        let labels = &platform["selector"]["matchLabels"];
        let (os, arch) = (labels["os"].as_str().unwrap(), labels["arch"].as_str().unwrap());
        let uri = platform["uri"].as_str().unwrap();
        assert!(uri.starts_with("https://") && uri.contains("/v0.1.0/"), "{uri}");
        assert_eq!(platform["bin"], if os == "windows" { "kubereach.exe" } else { "kubereach" });
        platforms.push(format!("{os}/{arch}"));
    }
    assert_eq!(platforms, ["linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64"]);
    assert!(manifest["spec"]["shortDescription"].as_str().unwrap().len() <= 60);
}

/// `-l` keeps what is about objects whose own labels match, as
/// `kubectl get -l` does; for `matrix` it is `--focus` on each matching
/// workload.
#[test]
fn selector_focuses_matrix_and_check() {
    let dir = demo();
    let labelled = dir.run(&["matrix", "-f", "demo", "-l", "app=api", "-o", "json"]);
    let focused = dir.run(&["matrix", "-f", "demo", "--focus", "production/api", "-o", "json"]);
    labelled.assert_code(0);
    assert_eq!(labelled.stdout, focused.stdout);
    let set_based = dir.run(&["matrix", "-f", "demo", "--selector", "tier in (web, backend),app!=worker"]);
    let both =
        dir.run(&["matrix", "-f", "demo", "--focus", "production/api", "--focus", "production/frontend"]);
    assert_eq!(set_based.stdout, both.stdout);
    let nothing = dir.run(&["matrix", "-f", "demo", "-l", "app=nope"]);
    nothing.assert_code(2);
    assert_eq!(nothing.stderr, "kubereach: no workload matches `-l app=nope`\n");
    let malformed = dir.run(&["matrix", "-f", "demo", "-l", "app in api"]);
    malformed.assert_code(2);
    assert!(malformed.stderr.contains("`api` is not a set: write `(a,b)` (in `app in api`)"), "{malformed}");

    let platform = dir.run(&["check", "-f", "demo", "-l", "team=platform", "-o", "json"]).json();
    let objects: Vec<&str> = platform["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["object"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(objects, ["monitoring"]);
    let all = dir.run(&["check", "-f", "demo", "-o", "json"]).json();
    assert!(all["findings"].as_array().unwrap().len() > 1);
}

/// `-A` is kubectl's "every namespace": the default, so the same answer,
/// and it excludes `-n`.
#[test]
fn all_namespaces() {
    let dir = demo();
    assert_eq!(dir.run(&["matrix", "-f", "demo", "-A"]).stdout, dir.run(&["matrix", "-f", "demo"]).stdout);
    dir.run(&["matrix", "-f", "demo", "-A", "-n", "production"]).assert_code(2);
    let kubectl_form = dir.run(&["trace", "-f", "demo", "-A", "deploy/frontend", "svc/api-service:80"]);
    kubectl_form.assert_code(2);
    assert!(kubectl_form.stderr.contains("needs one namespace"), "{kubectl_form}");
}

/// Reading manifests shows a count of files on a terminal's stderr, erased
/// at the end; `--quiet` silences it, and off a terminal there is none.
#[test]
fn file_progress_on_a_terminal_only() {
    let dir = demo();
    let Some(terminal) = on_terminal(&dir, "inventory -f demo -o json > out.json", &[]) else { return };
    assert!(terminal.contains("\r\x1b[2Kloading manifests: 1 file"), "{terminal:?}");
    assert!(terminal.ends_with("\r\x1b[2K"), "the line is erased at the end: {terminal:?}");
    let json = std::fs::read_to_string(dir.path().join("out.json")).unwrap();
    assert_eq!(json, dir.run(&["inventory", "-f", "demo", "-o", "json"]).stdout, "stdout is untouched");
    let quiet = on_terminal(&dir, "inventory -f demo -o json --quiet > out.json", &[]).unwrap();
    assert_eq!(quiet, "", "--quiet");
    let piped = dir.run(&["inventory", "-f", "demo"]);
    assert!(!piped.stderr.contains("loading"), "{piped}");
}

/// `inventory -o wide` is the human form with where each object is
/// defined at the end of its line, as kubectl's `-o wide` adds columns.
#[test]
fn inventory_wide() {
    let dir = demo();
    let wide = dir.run(&["inventory", "-f", "demo", "-o", "wide"]);
    wide.assert_code(0);
    snapshot!("inventory_wide", wide.stdout);
    let human = dir.run(&["inventory", "-f", "demo"]).stdout;
    let without_locations: String =
        wide.stdout.lines().map(|line| format!("{}\n", line.split("  at demo/").next().unwrap())).collect();
    assert_eq!(without_locations, human, "wide only adds");
}
