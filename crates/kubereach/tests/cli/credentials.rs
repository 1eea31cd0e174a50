//! Nothing secret is printed: a credential plugin's arguments, environment
//! and output never appear in messages (kubectl prints the command, its exit
//! status and passes the plugin's standard error through), the password in
//! a server URL is redacted, and a token that cannot be a token is an
//! error, not a crash.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::live::fake_api::{Behaviour, FakeApi, Tls, User};
use crate::util::{Run, TestDir};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../load/tests/fixtures")
}

/// Secrets the kubeconfig hands to the plugin, and one it prints.
const ARG_SECRET: &str = "oidc-client-secret-a1b2";
const ENV_SECRET: &str = "hvs.vault-token-c3d4";
const STDOUT_SECRET: &str = "eyJhbGciOi-stdout-token-e5f6";

/// A fake cluster whose kubeconfig user runs `plugin.sh` with a secret
/// argument and a secret environment variable.
fn with_plugin(script: &str) -> (FakeApi, TestDir) {
    let api = FakeApi::start(&fixtures(), Behaviour::default(), Tls::ServerOnly);
    let dir = TestDir::new();
    let path = api.kubeconfig(&fixtures(), dir.path(), "ca.crt", User::Token("unused"));
    let plugin = dir.path().join("plugin.sh");
    std::fs::write(&plugin, format!("#!/bin/sh\n{script}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let exec = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      \
         args: [--client-secret, {ARG_SECRET}]\n      env: [{{name: VAULT_TOKEN, value: {ENV_SECRET}}}]\n      \
         interactiveMode: Never\n",
        plugin.display()
    );
    let text = std::fs::read_to_string(&path).unwrap().replace("    token: unused\n", &exec);
    std::fs::write(&path, text).unwrap();
    (api, dir)
}

fn inventory(dir: &TestDir, extra: &[&str]) -> Run {
    let mut args = vec!["inventory", "--kubeconfig", "kubeconfig"];
    args.extend(extra);
    let run = dir.run(&args);
    run.assert_no_panic();
    run
}

#[track_caller]
fn assert_no_secret(run: &Run) {
    for secret in [ARG_SECRET, ENV_SECRET, STDOUT_SECRET] {
        assert!(!run.stderr.contains(secret) && !run.stdout.contains(secret), "{secret} leaked:\n{run}");
    }
}

#[test]
fn a_working_plugin_authenticates() {
    let (api, dir) = with_plugin(&format!(
        "test \"$2\" = {ARG_SECRET} && test \"$VAULT_TOKEN\" = {ENV_SECRET} || exit 9\n\
         echo '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\
         \"status\":{{\"token\":\"{STDOUT_SECRET}\"}}}}'"
    ));
    let run = inventory(&dir, &[]);
    run.assert_code(0);
    assert_no_secret(&run);
    let seen = api.seen();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|s| s.authorization.as_deref() == Some(&format!("Bearer {STDOUT_SECRET}"))));
}

#[test]
fn a_failing_plugin_shows_its_status_and_stderr_only() {
    let (api, dir) = with_plugin(&format!(
        "echo {STDOUT_SECRET}\necho 'error: login expired, run vault login' >&2\nexit 3"
    ));
    let run = inventory(&dir, &[]);
    run.assert_code(2);
    assert_no_secret(&run);
    assert!(run.stderr.contains("error: login expired, run vault login\n"), "stderr passed through:\n{run}");
    assert!(
        run.stderr.contains(&format!(
            "cannot authenticate to context `fake` ({}): the kubeconfig's credential plugin `{}` failed \
             with exit status 3",
            api.url,
            dir.path().join("plugin.sh").display()
        )),
        "{run}"
    );
    assert!(api.seen().is_empty());
}

#[test]
fn a_plugin_printing_garbage_is_not_echoed() {
    let (_api, dir) = with_plugin(&format!("echo {STDOUT_SECRET}"));
    let run = inventory(&dir, &[]);
    run.assert_code(2);
    assert_no_secret(&run);
    assert!(run.stderr.contains("did not print an `ExecCredential` with a `status.token`"), "{run}");
    assert!(run.stderr.contains("its output is not shown: it may hold a credential"), "{run}");
}

#[test]
fn a_hanging_plugin_is_stopped_at_the_request_timeout() {
    let (_api, dir) = with_plugin("exec sleep 30");
    let start = Instant::now();
    let run = inventory(&dir, &["--request-timeout", "1s"]);
    run.assert_code(2);
    assert!(start.elapsed() < Duration::from_secs(20), "{:?}", start.elapsed());
    assert!(run.stderr.contains("did not finish within 1s (`--request-timeout`)"), "{run}");
}

#[test]
fn a_flooding_plugin_is_stopped_at_its_output_limit() {
    let (_api, dir) = with_plugin(&format!("yes {STDOUT_SECRET}"));
    let run = inventory(&dir, &[]);
    run.assert_code(2);
    assert_no_secret(&run);
    assert!(run.stderr.contains("wrote more than 1024 KiB"), "{run}");
}

#[test]
fn a_password_in_the_server_url_is_redacted() {
    let api = FakeApi::start(&fixtures(), Behaviour::default(), Tls::None);
    let dir = TestDir::new();
    let url = api.url.replace("http://", "http://admin:hunter2@");
    // The fake server answers; every message and origin names the URL without its password.
    let run = dir.run(&["check", "--server", &url, "--format", "json"]);
    run.assert_no_panic();
    assert!(!run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"), "{run}");
    assert!(run.stdout.contains("http://admin:***@127.0.0.1:"), "origins are redacted too:\n{run}");
    // And where it cannot be reached.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let run = dir.run(&["inventory", "--server", &format!("http://admin:hunter2@127.0.0.1:{closed}")]);
    run.assert_code(2);
    assert!(!run.stderr.contains("hunter2"), "{run}");
    assert!(run.stderr.contains(&format!("cannot read http://admin:***@127.0.0.1:{closed}: ")), "{run}");
}

#[test]
fn a_token_file_that_is_not_a_token_is_an_error_not_a_crash() {
    let api = FakeApi::start(&fixtures(), Behaviour::default(), Tls::None);
    let dir = TestDir::new();
    // `--token-file` pointing at a kubeconfig, and a token with an escape.
    dir.write("kubeconfig.yaml", format!("apiVersion: v1\nkind: Config\ntoken: {STDOUT_SECRET}\n"));
    dir.write("escape.token", format!("{STDOUT_SECRET}\u{1b}]0;title\u{7}"));
    for (file, says) in [
        ("kubeconfig.yaml", "contains a line break (line 1, character 15)"),
        ("escape.token", "contains the control character U+001B"),
    ] {
        let run = dir.run(&["inventory", "--server", &api.url, "--token-file", file]);
        run.assert_no_panic();
        run.assert_code(2);
        assert_no_secret(&run);
        assert!(run.stderr.contains(&format!("the token from `--token-file` {says}")), "{run}");
        assert!(run.stderr.contains("(the token is not shown)"), "{run}");
    }
    assert!(api.seen().is_empty());
}
