//! `snapshot --binary`: every command reads the snapshot with `-f` and
//! answers byte for byte as from the manifests it was made of, locations
//! (`file:line:column`) included; a snapshot from another version, cut
//! short or damaged is an error naming the file.

use crate::util::{Run, TestDir};

/// Everything a run shows: exit code, stdout, stderr.
fn shown(run: &Run) -> String {
    run.assert_no_panic();
    format!("exit code: {:?}\n{}{}", run.code, run.stdout, run.stderr)
}

/// Runs each command on `yaml` and on `snapshot` (each `-f` replaced) and
/// compares everything they show.
#[track_caller]
fn same_answers(dir: &TestDir, yaml: &[&str], snapshot: &str, commands: &[&[&str]]) {
    for command in commands {
        let mut from_yaml: Vec<&str> = command.to_vec();
        let mut from_snapshot: Vec<&str> = command.to_vec();
        for path in yaml {
            from_yaml.extend(["-f", path]);
        }
        from_snapshot.extend(["-f", snapshot]);
        let expected = shown(&dir.run(&from_yaml));
        assert_eq!(shown(&dir.run(&from_snapshot)), expected, "{}", command.join(" "));
    }
}

fn take_snapshot(dir: &TestDir, inputs: &[&str], output: &str) {
    let mut args = vec!["snapshot", "--binary", "-o", output];
    for input in inputs {
        args.extend(["-f", input]);
    }
    let run = dir.run(&args);
    run.assert_code(0);
    assert!(run.stderr.starts_with("wrote "), "{}", run.stderr);
}

#[test]
fn the_demo_answers_the_same_from_its_binary_snapshot() {
    let dir = TestDir::new();
    dir.run(&["demo", "--export", "demo"]).assert_code(0);
    // No extension: a snapshot is known by its content.
    take_snapshot(&dir, &["demo"], "demo.snap");
    same_answers(
        &dir,
        &["demo"],
        "demo.snap",
        &[
            &["inventory"],
            &["inventory", "-o", "wide"],
            &["inventory", "--format", "json"],
            &["check", "--color", "never"],
            &["check", "--format", "json"],
            &["check", "--format", "sarif"],
            &["matrix"],
            &["matrix", "--format", "json"],
            &["matrix", "--pods", "--format", "connlist"],
            &["trace", "production/frontend", "http://api-service.production/healthz"],
            &["trace", "production/frontend", "http://api-service.production/healthz", "--format", "json"],
            &["trace", "external", "https://api.yourapp.com/v1/users"],
            &["dns", "api-service.production", "--from", "production/frontend"],
            &["routes"],
        ],
    );
}

#[test]
fn a_generated_cluster_answers_the_same_from_its_binary_snapshot() {
    let dir = TestDir::new();
    dir.copy_fixture("scale/generated", "generated").copy_fixture("scale/typos.yaml", "typos.yaml");
    take_snapshot(&dir, &["generated", "typos.yaml"], "cluster.bin");
    same_answers(
        &dir,
        &["generated", "typos.yaml"],
        "cluster.bin",
        &[
            &["inventory", "--format", "json"],
            &["check", "--color", "never"],
            &["check", "--format", "json"],
            &["matrix", "--format", "connlist"],
            &["matrix", "--focus", "catalog-prod-0001/profile-api", "--format", "json"],
            &["trace", "catalog-prod-0001/cart-web", "catalog-prod-0001/profile-api:8080"],
            &["trace", "support-staging-0000/chat-web", "http://invoice-web.catalog-prod-0001/"],
            &["trace", "typos/backend", "typos/frontend:8080", "--format", "json"],
        ],
    );
}

#[test]
fn a_snapshot_reads_from_standard_input_and_beside_manifests() {
    let dir = TestDir::new();
    dir.run(&["demo", "--export", "demo"]).assert_code(0);
    take_snapshot(&dir, &["demo"], "demo.snap");
    let bytes = std::fs::read(dir.path().join("demo.snap")).unwrap();
    let from_file = shown(&dir.run(&["check", "-f", "demo.snap"]));
    assert_eq!(shown(&dir.run_with_stdin_bytes(&["check", "-f", "-"], &bytes)), from_file);
    // Another file with it: the same objects again are duplicates, as twice the YAML.
    let both = dir.run(&["inventory", "-f", "demo.snap", "-f", "demo"]);
    assert_eq!(shown(&both), shown(&dir.run(&["inventory", "-f", "demo", "-f", "demo"])));
}

#[cfg(unix)]
#[test]
fn the_snapshot_file_is_private_and_broken_input_writes_none() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new();
    dir.run(&["demo", "--export", "demo"]).assert_code(0);
    take_snapshot(&dir, &["demo"], "demo.snap");
    let mode = std::fs::metadata(dir.path().join("demo.snap")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    dir.write("broken.yaml", "kind: [\n");
    let run = dir.run(&["snapshot", "--binary", "-f", "broken.yaml", "-o", "broken.snap"]);
    run.assert_code(2);
    assert!(run.stderr.contains("no snapshot written: the input has errors"), "{}", run.stderr);
    assert!(!dir.path().join("broken.snap").exists());
    let run = dir.run(&["snapshot", "-f", "demo", "-o", "x.yaml"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--binary"), "{}", run.stderr);
}

#[test]
fn another_version_a_cut_or_damage_is_an_error_naming_the_file() {
    let dir = TestDir::new();
    dir.run(&["demo", "--export", "demo"]).assert_code(0);
    take_snapshot(&dir, &["demo"], "demo.snap");
    let bytes = std::fs::read(dir.path().join("demo.snap")).unwrap();
    // The version that wrote it follows the magic (11 bytes), the format
    // (4) and its length (1).
    let mut other_version = bytes.clone();
    other_version[16] = b'9';
    dir.write("other.snap", &other_version);
    dir.write("cut.snap", &bytes[..bytes.len() / 2]);
    let mut damaged = bytes.clone();
    let middle = bytes.len() / 2;
    damaged[middle] ^= 0xff;
    dir.write("damaged.snap", &damaged);
    for (file, reason) in [
        ("other.snap", "re-create the snapshot with this version"),
        ("cut.snap", "a truncated kubereach snapshot"),
        ("damaged.snap", "does not match its checksum"),
    ] {
        let run = dir.run(&["check", "-f", file]);
        run.assert_no_panic().assert_code(2);
        assert!(run.stderr.starts_with(&format!("{file}: error: a ")), "{}", run.stderr);
        assert!(run.stderr.contains(reason), "{file}: {}", run.stderr);
    }
}
