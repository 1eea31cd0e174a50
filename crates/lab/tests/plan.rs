//! Golden files of `lab up --dry-run`'s plan, without root: the demo
//! cluster (Calico: policies enforced) and its Flannel variant (no policy
//! table at all). The whole plan is compared, as kube-proxy's
//! `proxier_test.go` compares whole rulesets.
//!
//! Regenerate after an intended change with
//! `KUBEREACH_BLESS=1 cargo test -p kubereach-lab --test plan` and review the diff.

use std::path::{Path, PathBuf};

use kubereach_core::{Cluster, ClusterBuilder};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo manifests; `flannel` swaps the Calico DaemonSet for Flannel's.
pub fn demo_cluster(flannel: bool) -> Cluster {
    let demo = manifest_dir().join("../kubereach/demo");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&demo)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut builder = ClusterBuilder::new();
    for file in files {
        let mut text = std::fs::read_to_string(&file).unwrap();
        if flannel {
            text = text
                .split("\n---\n")
                .filter(|doc| !doc.contains("name: calico-node"))
                .collect::<Vec<_>>()
                .join("\n---\n");
        }
        let name = format!("demo/{}", file.file_name().unwrap().to_string_lossy());
        kubereach_load::load_str(Some(&name), &text, &mut builder);
    }
    if flannel {
        let path = manifest_dir().join("../kubereach/tests/fixtures/lab/flannel.yaml");
        kubereach_load::load_str(Some("flannel.yaml"), &std::fs::read_to_string(path).unwrap(), &mut builder);
    }
    builder.build()
}

fn check_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("KUBEREACH_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run with KUBEREACH_BLESS=1", path.display()));
    if expected != actual {
        let first = expected.lines().zip(actual.lines()).position(|(a, b)| a != b);
        panic!("{name} differs from its golden file (first differing line: {first:?}); run with KUBEREACH_BLESS=1 and review");
    }
}

#[test]
fn demo_plan_matches_its_golden_file() {
    let plan = kubereach_lab::plan::build(&demo_cluster(false), "demo", None).unwrap();
    assert!(plan.policies_enforced, "Calico enforces NetworkPolicy");
    check_golden("demo.plan", &plan.render());
}

#[test]
fn flannel_variant_installs_no_policy_table() {
    let plan = kubereach_lab::plan::build(&demo_cluster(true), "flannel", None).unwrap();
    assert!(!plan.policies_enforced, "Flannel alone does not enforce NetworkPolicy");
    let rendered = plan.render();
    assert!(!rendered.contains("kubereach-policy"), "no policy table under Flannel");
    check_golden("flannel.plan", &rendered);
}

#[test]
fn same_input_gives_the_same_plan() {
    let a = kubereach_lab::plan::build(&demo_cluster(false), "demo", None).unwrap();
    let b = kubereach_lab::plan::build(&demo_cluster(false), "demo", None).unwrap();
    assert_eq!(a, b);
}

#[test]
fn every_address_stays_inside_the_lab() {
    // Sealed: no step names the root namespace, and no namespace but a
    // pod's gets a default route.
    let plan = kubereach_lab::plan::build(&demo_cluster(false), "demo", None).unwrap();
    for step in &plan.steps {
        if let kubereach_lab::plan::Step::Ip { netns, args } = step {
            assert!(netns.starts_with("kr-demo-"), "{netns}");
            if args.starts_with("route add default") {
                assert!(netns.starts_with("kr-demo-pod"), "default route in {netns}");
            }
            assert!(!args.contains("netns 1") && !args.contains(" netns /"), "{args}");
        }
    }
}

#[test]
fn a_bad_lab_name_is_refused() {
    let error = kubereach_lab::plan::build(&demo_cluster(false), "Bad-Name", None).unwrap_err();
    assert!(error.to_string().contains("lowercase letters or digits"), "{error}");
}
