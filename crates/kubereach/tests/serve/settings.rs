//! `kubereach serve` takes the settings every query command takes: the
//! network plugin flags (`--cni`, `--ip-blocks-match-pods`,
//! `--host-network-as-pods`) and, for its findings, `.kubereach.yaml` (or
//! `--config`), and answers as the CLI does with the same settings.

use std::process::Command;

use crate::support::{demo, Server};

fn cli_json(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let output =
        Command::new(env!("CARGO_BIN_EXE_kubereach")).current_dir(dir).args(args).output().expect("run");
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn codes(check: &serde_json::Value) -> Vec<String> {
    check["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

/// The demo runs Calico, which enforces NetworkPolicy; named as Flannel,
/// which enforces none, every answer changes the way the CLI's do.
#[test]
fn the_plugin_flags_change_every_answer_as_on_the_command_line() {
    let (dir, path) = demo();
    let here = dir.path();
    let server = Server::start(&["-f", &path, "--cni", "flannel"]);
    let check = server.get("/api/check").json();
    assert_eq!(check, cli_json(here, &["check", "-f", &path, "--cni", "flannel", "--format", "json"]));
    // KR301: the plugin does not enforce the NetworkPolicies of the input.
    assert!(codes(&check).contains(&"KR301".to_owned()), "{check}");
    let matrix = server.get("/api/matrix?namespace=production").json();
    assert_eq!(
        matrix,
        cli_json(here, &["matrix", "-f", &path, "-n", "production", "--cni", "flannel", "--format", "json"])
    );
    let to = "http://api-service.production/healthz";
    let trace = server.get(&format!("/api/trace?from=production/frontend&to={to}")).json();
    assert_eq!(
        trace,
        cli_json(
            here,
            &["trace", "production/frontend", to, "-f", &path, "--cni", "flannel", "--format", "json"]
        )
    );
    assert_eq!(trace["verdict"], "allowed", "Flannel does not block on the demo's policy: {trace}");
    let dns = server.get("/api/dns?name=api-service&from=production/worker").json();
    assert_eq!(
        dns,
        cli_json(
            here,
            &[
                "dns",
                "api-service",
                "--from",
                "production/worker",
                "-f",
                &path,
                "--cni",
                "flannel",
                "--format",
                "json"
            ]
        )
    );
    // Nothing isolates anything on a plugin without policies.
    let graph = server.get("/api/graph").json();
    let production =
        graph["namespaces"].as_array().unwrap().iter().find(|n| n["name"] == "production").unwrap();
    assert_eq!(production["ingress_isolated_pods"], 0);
    // And without the flag, the demo's own plugin.
    let detected = Server::start(&["-f", &path]);
    assert_eq!(
        detected.get("/api/check").json(),
        cli_json(here, &["check", "-f", &path, "--format", "json"])
    );
    assert!(!codes(&detected.get("/api/check").json()).contains(&"KR301".to_owned()));
}

#[test]
fn findings_follow_the_config_file_of_the_working_directory() {
    let (_dir, path) = demo();
    // The config files beside, not among, the manifests `-f` reads.
    let work = tempfile::tempdir().unwrap();
    let here = work.path();
    let plain = Server::start_in(here, &["-f", &path]);
    assert!(codes(&plain.get("/api/check").json()).contains(&"KR101".to_owned()));
    drop(plain);
    std::fs::write(here.join(".kubereach.yaml"), "check:\n  rules:\n    KR101: off\n    KR207: info\n")
        .unwrap();
    let server = Server::start_in(here, &["-f", &path]);
    let check = server.get("/api/check").json();
    assert_eq!(check, cli_json(here, &["check", "-f", &path, "--format", "json"]));
    assert!(!codes(&check).contains(&"KR101".to_owned()), "{check}");
    let kr207 = check["findings"].as_array().unwrap().iter().find(|f| f["code"] == "KR207").expect("KR207");
    assert_eq!(kr207["severity"], "info");
    // `--config` names another file, as for `check`.
    std::fs::write(here.join("other.yaml"), "check:\n  rules:\n    KR207: off\n").unwrap();
    let other = Server::start_in(here, &["-f", &path, "--config", "other.yaml"]);
    let codes = codes(&other.get("/api/check").json());
    assert!(codes.contains(&"KR101".to_owned()) && !codes.contains(&"KR207".to_owned()), "{codes:?}");
}

#[test]
fn a_broken_config_file_is_an_input_error_with_its_line() {
    let (dir, path) = demo();
    std::fs::write(dir.path().join(".kubereach.yaml"), "check:\n  rules:\n    no-such-rule: off\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kubereach"))
        .current_dir(dir.path())
        .args(["serve", "-f", &path, "--listen", "127.0.0.1:0"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with(".kubereach.yaml:3: error:") && stderr.contains("no-such-rule"), "{stderr}");
    assert!(output.stdout.is_empty(), "no URL printed");
}

/// `--open` hands the printed URL, token included, to the desktop's opener
/// (`xdg-open`, as `jupyter notebook` and `kubectl proxy`'s users expect);
/// here a stand-in on `PATH` records what it was given.
#[cfg(target_os = "linux")]
#[test]
fn open_hands_the_printed_url_to_the_desktop_opener() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = demo();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin dir");
    let opened = dir.path().join("opened");
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{0}.tmp' && mv '{0}.tmp' '{0}'\n", opened.display()),
    )
    .expect("opener");
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut search = std::ffi::OsString::from(bin.as_os_str());
    search.push(":");
    search.push(std::env::var_os("PATH").unwrap_or_default());
    let server = Server::start_with(dir.path(), &["-f", &path, "--open"], &[("PATH", search.as_os_str())]);
    // The opener runs beside the server: wait for its file, bounded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !opened.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let handed = std::fs::read_to_string(&opened).expect("the opener was started");
    assert_eq!(handed, server.url());
}
