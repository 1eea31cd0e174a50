//! A cluster or input that cannot be read is never answered as an empty
//! cluster: every command exits 2 and says why, `--keep-going` included.

use std::path::{Path, PathBuf};

use crate::util::{Run, TestDir};

use crate::live::fake_api::{Behaviour, FakeApi, Tls, User};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../load/tests/fixtures")
}

fn cluster(behaviour: Behaviour) -> (FakeApi, TestDir) {
    let api = FakeApi::start(&fixtures(), behaviour, Tls::ServerOnly);
    let dir = TestDir::new();
    api.kubeconfig(&fixtures(), dir.path(), "ca.crt", User::Token("t0ken"));
    (api, dir)
}

fn run(dir: &TestDir, args: &[&str]) -> Run {
    let run = dir.run(args);
    run.assert_no_panic();
    run
}

/// Every query command, with the kubeconfig.
const COMMANDS: &[&[&str]] = &[
    &["inventory"],
    &["check"],
    &["check", "--keep-going"],
    &["matrix"],
    &["matrix", "--keep-going"],
    &["trace", "shop/web", "shop/db:5432"],
    &["dns", "db.shop", "--from", "shop/web"],
    &["diff", "@live", "@live"],
];

fn assert_every_command_fails(dir: &TestDir, says: &str) {
    for command in COMMANDS {
        let mut args = command.to_vec();
        args.extend(["--kubeconfig", "kubeconfig"]);
        let unreadable = run(dir, &args);
        unreadable.assert_code(2);
        assert!(unreadable.stdout.is_empty(), "nothing is answered about an empty cluster:\n{unreadable}");
        assert!(unreadable.stderr.contains(says), "{unreadable}");
        assert!(!unreadable.stderr.contains("the rest of the input was loaded"), "{unreadable}");
    }
    let snapshot = run(dir, &["snapshot", "--kubeconfig", "kubeconfig", "-o", "cluster.yaml"]);
    snapshot.assert_code(2);
    assert!(!dir.path().join("cluster.yaml").exists(), "no snapshot of an unreadable cluster");
}

#[test]
fn every_list_forbidden_is_exit_2_for_every_command() {
    // RBAC that grants nothing: every list is HTTP 403.
    let (_api, dir) = cluster(Behaviour { forbidden: vec!["*"], ..Behaviour::default() });
    assert_every_command_fails(&dir, "every list failed, the first with: forbidden to list `namespaces`");
}

#[test]
fn pods_forbidden_is_exit_2_for_every_command() {
    let (_api, dir) = cluster(Behaviour { forbidden: vec!["pods"], ..Behaviour::default() });
    assert_every_command_fails(&dir, "kubereach cannot answer without `pods`");
}

#[test]
fn a_server_answering_503_is_retried_then_exit_2() {
    // An API server down behind its load balancer.
    let (api, dir) = cluster(Behaviour { failing: vec![("*", 503)], ..Behaviour::default() });
    let check = run(&dir, &["check", "--kubeconfig", "kubeconfig"]);
    check.assert_code(2);
    assert!(check.stderr.contains("every list failed, the first with: cannot list `namespaces` (HTTP 503)"));
    let namespaces = api.seen().iter().filter(|s| s.target.starts_with("/api/v1/namespaces?")).count();
    assert_eq!(namespaces, 4, "the first try and three retries");
}

#[test]
fn keep_going_never_passes_on_nothing_read() {
    let dir = TestDir::new();
    dir.write("broken.yaml", "kind: [\n");
    for args in [
        &["check", "--keep-going", "-f", "nonexistent"][..],
        &["check", "--keep-going", "-f", "broken.yaml"],
        &["matrix", "--keep-going", "-f", "nonexistent"],
        &["inventory", "--keep-going", "-f", "nonexistent"],
        &["diff", "--keep-going", "nonexistent", "broken.yaml"],
    ] {
        let run = run(&dir, args);
        run.assert_code(2);
        assert!(run.stderr.contains("nothing could be loaded"), "{run}");
        assert!(!run.stderr.contains("the rest of the input was loaded"), "{run}");
    }
    // With something read, `--keep-going` still analyses it.
    dir.write(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n",
    );
    let run = run(&dir, &["inventory", "--keep-going", "-f", "nonexistent", "-f", "pod.yaml"]);
    run.assert_code(0);
    assert!(run.stderr.contains("the rest of the input was loaded"), "{run}");
}

#[test]
fn an_unreadable_input_prints_no_answer() {
    // `check -f /nonexistent` once printed "no findings" beside its exit 2:
    // an input that cannot be read must not look like a clean cluster.
    let dir = TestDir::new();
    dir.write("broken.yaml", "kind: [\n");
    for args in [
        &["check", "-f", "nonexistent"][..],
        &["check", "--format", "json", "-f", "broken.yaml"],
        &["check", "--format", "sarif", "-f", "nonexistent"],
        &["matrix", "-f", "nonexistent"],
        &["inventory", "-f", "nonexistent"],
        &["routes", "-f", "nonexistent"],
        &["routes", "--diff", "nonexistent", "broken.yaml"],
        &["diff", "nonexistent", "broken.yaml"],
        &["trace", "shop/web", "shop/db:5432", "-f", "nonexistent"],
        &["dns", "db.shop", "--from", "shop/web", "-f", "nonexistent"],
    ] {
        let run = run(&dir, args);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "nothing is answered about an empty cluster:\n{run}");
        assert!(run.stderr.contains("nothing could be loaded"), "{run}");
    }
}
