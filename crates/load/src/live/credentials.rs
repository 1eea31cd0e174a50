//! Credentials, handled so that none is ever printed: the kubeconfig's
//! credential plugin (`exec`) run with bounded output and time, bearer
//! tokens checked before they reach an HTTP header, and user information
//! in server URLs redacted.
//!
//! The plugin protocol is client-go's (`client.authentication.k8s.io`,
//! <https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins>):
//! the plugin gets `KUBERNETES_EXEC_INFO`, its standard error goes to the
//! user, and its standard output is an `ExecCredential` whose `status`
//! holds a token or a client certificate and key. kube-rs runs plugins
//! itself, but reads their output without a bound, waits without a
//! deadline, and puts the arguments, environment and output in its error
//! messages; so kubereach runs the plugin once, here, and hands kube-rs
//! the resulting credential.

use std::io::{IsTerminal, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kube::config::{ExecConfig, ExecInteractiveMode};

/// What a credential plugin may write: an `ExecCredential` is a few
/// kilobytes; a plugin printing more is broken (or printing a log).
pub(super) const MAX_PLUGIN_OUTPUT: u64 = 1024 * 1024;

/// Runs the kubeconfig's credential plugin and puts the credential it
/// prints into `auth_info`, in place of the `exec` section. The error is a
/// sentence naming the command (never its arguments, environment or
/// output, where secrets live), its exit status, and nothing else: the
/// plugin's own messages already went to standard error.
pub(super) fn run_plugin(auth_info: &mut kube::config::AuthInfo, timeout: Duration) -> Result<(), String> {
    let Some(exec) = auth_info.exec.take() else { return Ok(()) };
    let Some(command) = exec.command.clone() else {
        return Err("the kubeconfig's credential plugin has no `command`".to_owned());
    };
    let named = format!("the kubeconfig's credential plugin `{command}`");
    let stdout = run(&exec, &command, timeout).map_err(|reason| format!("{named} {reason}"))?;
    let status = parse(&stdout).ok_or_else(|| {
        format!(
            "{named} did not print an `ExecCredential` with a `status.token` or a client certificate \
             and key (its output is not shown: it may hold a credential)"
        )
    })?;
    match status {
        Credential::Token(token) => {
            check_token(&token, &format!("the token from {named}"))?;
            auth_info.token = Some(token.into());
        }
        Credential::Certificate { certificate, key } => {
            auth_info.client_certificate_data = Some(base64(certificate.as_bytes()));
            auth_info.client_key_data = Some(base64(key.as_bytes()).into());
        }
    }
    Ok(())
}

/// A bearer token must fit in an HTTP header: a line break or another
/// control character means the wrong file was given (`--token-file` at a
/// kubeconfig, a token with its newline inside), and the HTTP layer would
/// otherwise stop on it. Only the position is said, never the token.
pub(super) fn check_token(token: &str, what: &str) -> Result<(), String> {
    let Some((position, character)) = token.char_indices().find(|(_, c)| c.is_control()) else {
        return Ok(());
    };
    let line = token[..position].matches('\n').count() + 1;
    let name = match character {
        '\n' => "a line break".to_owned(),
        '\r' => "a carriage return".to_owned(),
        '\t' => "a tab".to_owned(),
        other => format!("the control character U+{:04X}", other as u32),
    };
    Err(format!(
        "{what} contains {name} (line {line}, character {}): a token is one line of printable \
         characters; is it the right file? (the token is not shown)",
        token[..position].rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1
    ))
}

/// `text` with the password of every `scheme://user:password@host` in it
/// replaced by `***`, and a user alone (which may be a token) as well.
pub fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end =
            after.find(|c: char| matches!(c, '/' | '?' | '#' | '`' | ')' | '"' | '\'') || c.is_whitespace());
        let authority = &after[..authority_end.unwrap_or(after.len())];
        match authority.rfind('@') {
            Some(userinfo_end) => {
                let userinfo = &authority[..userinfo_end];
                match userinfo.split_once(':') {
                    Some((user, _)) => out.push_str(&format!("{user}:***")),
                    None => out.push_str("***"),
                }
                rest = &after[userinfo_end..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

enum Credential {
    Token(String),
    Certificate { certificate: String, key: String },
}

/// Runs the plugin; its standard output, read up to [`MAX_PLUGIN_OUTPUT`].
/// The error completes "the credential plugin `x` …".
fn run(exec: &ExecConfig, command: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let mut process = Command::new(command);
    process.args(exec.args.iter().flatten());
    for variable in exec.env.iter().flatten() {
        if let (Some(name), Some(value)) = (variable.get("name"), variable.get("value")) {
            process.env(name, value);
        }
    }
    for name in exec.drop_env.iter().flatten() {
        process.env_remove(name);
    }
    let interactive =
        exec.interactive_mode != Some(ExecInteractiveMode::Never) && std::io::stdin().is_terminal();
    process.env("KUBERNETES_EXEC_INFO", exec_info(exec, interactive));
    process.stdin(if interactive { Stdio::inherit() } else { Stdio::null() });
    // As kubectl does: the plugin's own messages reach the user.
    process.stderr(Stdio::inherit()).stdout(Stdio::piped());
    let mut child = process.spawn().map_err(|error| {
        let hint = exec.install_hint.as_deref().map(|h| format!("; {}", h.trim())).unwrap_or_default();
        format!("could not be started: {error}{hint}")
    })?;
    let Some(stdout) = child.stdout.take() else {
        return Err("could not be started: no output pipe".to_owned());
    };
    let reader = std::thread::spawn(move || {
        let mut output = Vec::new();
        let read = stdout.take(MAX_PLUGIN_OUTPUT + 1).read_to_end(&mut output);
        read.map(|_| output)
    });
    let deadline = Instant::now() + timeout;
    let stop = |child: &mut std::process::Child, reason: String| {
        let _ = child.kill();
        let _ = child.wait();
        Err(reason)
    };
    let too_long = format!("wrote more than {} KiB", MAX_PLUGIN_OUTPUT / 1024);
    let late = format!("did not finish within {}s (`--request-timeout`)", timeout.as_secs_f64());
    let (mut reader, mut output) = (Some(reader), None);
    let status = loop {
        if let Some(finished) = reader.take_if(|r| r.is_finished()) {
            let read = finished.join().map_err(|_| "could not be read".to_owned())?;
            match read {
                Ok(bytes) if bytes.len() as u64 > MAX_PLUGIN_OUTPUT => return stop(&mut child, too_long),
                Ok(bytes) => output = Some(bytes),
                Err(error) => return stop(&mut child, format!("could not be read: {error}")),
            }
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => return stop(&mut child, late),
            Err(error) => return stop(&mut child, format!("could not be waited for: {error}")),
        }
    };
    // A process the plugin left behind may hold its output open.
    while output.is_none() {
        match reader.take_if(|r| r.is_finished()) {
            Some(finished) => match finished.join() {
                Ok(Ok(bytes)) => output = Some(bytes),
                _ => return Err("could not be read".to_owned()),
            },
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            None => return Err(late),
        }
    }
    let output = output.unwrap_or_default();
    if !status.success() {
        return Err(match status.code() {
            Some(code) => format!("failed with exit status {code}"),
            None => "was killed by a signal".to_owned(),
        });
    }
    if output.len() as u64 > MAX_PLUGIN_OUTPUT {
        return Err(format!("wrote more than {} KiB", MAX_PLUGIN_OUTPUT / 1024));
    }
    Ok(output)
}

/// `KUBERNETES_EXEC_INFO`: what client-go passes, the `ExecCredential`
/// spec with `interactive` and, when asked for, the cluster.
fn exec_info(exec: &ExecConfig, interactive: bool) -> String {
    let mut spec = serde_json::json!({"interactive": interactive});
    if exec.provide_cluster_info {
        if let Some(cluster) = &exec.cluster {
            spec["cluster"] = serde_json::to_value(cluster).unwrap_or_default();
        }
    }
    serde_json::json!({
        "apiVersion": exec.api_version.as_deref().unwrap_or("client.authentication.k8s.io/v1"),
        "kind": "ExecCredential",
        "spec": spec,
    })
    .to_string()
}

/// The credential in an `ExecCredential` (JSON, or the YAML some plugins
/// print, which client-go also accepts).
fn parse(stdout: &[u8]) -> Option<Credential> {
    let text = std::str::from_utf8(stdout).ok()?;
    let value = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => value,
        Err(_) => crate::yaml::parse_stream(text).into_iter().next()?.content.ok()?.value,
    };
    let status = value.get("status")?;
    let field = |name: &str| status.get(name).and_then(serde_json::Value::as_str).filter(|s| !s.is_empty());
    if let Some(token) = field("token") {
        return Some(Credential::Token(token.to_owned()));
    }
    Some(Credential::Certificate {
        certificate: field("clientCertificateData")?.to_owned(),
        key: field("clientKeyData")?.to_owned(),
    })
}

/// Standard base64, for the kubeconfig's `*-data` fields.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_encodes_as_rfc_4648() {
        // RFC 4648 section 10, test vectors.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn userinfo_is_redacted() {
        assert_eq!(
            redact_userinfo("https://admin:hunter2@10.0.0.1:6443/api"),
            "https://admin:***@10.0.0.1:6443/api"
        );
        assert_eq!(redact_userinfo("context `a` (https://tok3n@k8s)"), "context `a` (https://***@k8s)");
        assert_eq!(
            redact_userinfo("https://k8s:6443 and http://u:p@x"),
            "https://k8s:6443 and http://u:***@x"
        );
        assert_eq!(redact_userinfo("no url"), "no url");
    }

    #[test]
    fn tokens_with_control_characters_are_refused_without_being_shown() {
        assert_eq!(check_token("abc.def-ghi", "the token"), Ok(()));
        let error = check_token("s3cr3t\nkind: Config", "the token from `--token-file t`").unwrap_err();
        assert_eq!(
            error,
            "the token from `--token-file t` contains a line break (line 1, character 7): a token is one \
             line of printable characters; is it the right file? (the token is not shown)"
        );
        let error = check_token("zq\u{1b}[2J", "the token").unwrap_err();
        assert!(error.contains("the control character U+001B (line 1, character 3)"), "{error}");
        assert!(!error.contains("zq"), "{error}");
    }

    #[test]
    fn exec_credentials_are_read_from_json_or_yaml() {
        let json = br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t0k"}}"#;
        assert!(matches!(parse(json), Some(Credential::Token(t)) if t == "t0k"));
        let yaml = b"kind: ExecCredential\nstatus:\n  clientCertificateData: CERT\n  clientKeyData: KEY\n";
        assert!(
            matches!(parse(yaml), Some(Credential::Certificate { certificate, key }) if certificate == "CERT" && key == "KEY")
        );
        assert!(parse(b"hunter2").is_none());
        assert!(parse(b"{\"status\": {}}").is_none());
    }
}
