//! `kubereach demo`: the built-in cluster, and its export.

use super::util::{snapshot, TestDir};

#[test]
fn demo_runs_without_arguments() {
    let dir = TestDir::new();
    let run = dir.run(&["demo"]);
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "{run}");
    snapshot!("demo", run.to_string());
}

#[test]
fn exported_demo_gives_the_same_inventory() {
    let dir = TestDir::new();
    let export = dir.run(&["demo", "--export", "demo"]);
    export.assert_code(0);
    snapshot!("demo_export", export.to_string());

    let demo = dir.run(&["demo"]);
    let inventory = dir.run(&["inventory", "-f", "demo"]);
    inventory.assert_code(0);
    assert!(inventory.stderr.is_empty(), "{inventory}");
    // The tour shows the inventory of the embedded manifests, named
    // `demo/FILE` like the exported ones.
    assert!(
        demo.stdout.contains(&inventory.stdout),
        "the demo's inventory differs from the exported one's:\n{demo}\n{inventory}"
    );

    let json = dir.run(&["inventory", "--format", "json", "-f", "demo"]).json();
    let files: std::collections::BTreeSet<String> = json["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|ns| ns["workloads"].as_array().unwrap().iter().chain(ns["services"].as_array().unwrap()))
        .map(|w| w["location"]["file"].as_str().unwrap().to_owned())
        .collect();
    assert!(files.iter().all(|f| f.starts_with("demo/")), "{files:?}");
}

#[test]
fn export_into_an_existing_directory_overwrites() {
    let dir = TestDir::new();
    dir.write("out/00-namespaces.yaml", "stale\n").write("out/keep.txt", "kept\n");
    dir.run(&["demo", "--export", "out"]).assert_code(0);
    let text = std::fs::read_to_string(dir.path().join("out/00-namespaces.yaml")).unwrap();
    assert!(text.contains("kind: Namespace"), "{text}");
    assert_eq!(std::fs::read_to_string(dir.path().join("out/keep.txt")).unwrap(), "kept\n");
}

#[test]
fn export_to_an_unwritable_place_is_an_error() {
    let dir = TestDir::new();
    dir.write("file", "not a directory\n");
    let run = dir.run(&["demo", "--export", "file/sub"]);
    run.assert_code(2);
    assert!(run.stderr.starts_with("kubereach: cannot create file/sub"), "{run}");
}
