//! No noise on healthy clusters: the repository's example clusters and the
//! netpol-analyzer peer inputs give no error-level false positives. Every
//! error found on the peer inputs has been reviewed: they are the faults
//! those test inputs are built around (see `REVIEWED`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kubereach_core::check::Severity;

use super::examples::{load, run};
use super::util::{repo_root, snapshot, TestDir};

#[test]
fn healthy_shop_is_clean() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check/fixtures/healthy-shop.yaml");
    let report = run(&load("healthy-shop.yaml", &std::fs::read_to_string(path).unwrap()));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    // The only finding is the one its annotation suppresses.
    let suppressed: Vec<&str> = report.suppressed.iter().map(|f| f.rule).collect();
    assert_eq!(suppressed, ["namespace-no-default-deny"]);
}

/// The example clusters of the repository's other tests: every finding is
/// snapshotted (and was reviewed), and none is an error.
#[test]
fn repository_examples_have_no_errors() {
    let dir = TestDir::new();
    dir.copy_fixture("sources", "sources");
    // Two of the files hold deliberately broken documents.
    let run = dir.run(&["check", "-f", "sources", "--keep-going"]);
    run.assert_code(0);
    // Reviewed: `info` for namespaces without policies only; the Helm test
    // hook pod that `release-podinfo` selects has no ports, and is not
    // taken for a server (`restartPolicy: Never`).
    snapshot!("sources", run.to_string());

    let cluster = repo_root().join("crates/load/tests/fixtures/cluster");
    let run = super::util::run_in(&repo_root(), &["check", "-f", cluster.to_str().unwrap()], None);
    run.assert_code(0);
    assert!(!run.stdout.contains("error[") && !run.stdout.contains("warning["), "{run}");
}

/// Why error-level findings on the peer inputs are true positives, per rule.
const REVIEWED: &[(&str, &str)] = &[
    (
        "networkpolicy-egress-blocks-dns",
        "the inputs' policies isolate egress (deny-all, or allow-lists for the application's own ports) without \
         an allowance for cluster DNS, or an AdminNetworkPolicy's `Deny` takes egress to every namespace: on a \
         real cluster these pods could not resolve names",
    ),
    ("service-port-name-required", "multi-port Services without port names, which the API server rejects"),
    ("service-no-matching-pods", "Services selecting labels no pod has (`not-existing`, `MyApp`), or pods of a broken document"),
    (
        "ingress-backend-port-mismatch",
        "Ingress backends naming the pods' container port 8080 instead of the Service's port",
    ),
    ("networkpolicy-named-port-unresolved", "named ports the selected pods declare with another protocol, or not at all"),
    (
        "networkpolicy-isolates-exposed-service",
        "Online Boutique's `frontend-external` LoadBalancer in front of pods whose `frontend-netpol` admits only \
         `loadgenerator` (and a default deny): no client outside the cluster can reach it",
    ),
    (
        "service-no-ready-endpoints",
        "the `ingress-nginx-controller-admission` Service of a minikube dump selects only its completed Job pods",
    ),
    ("selector-does-not-match-template", "Deployments whose selector (`app: foo`) differs from their template's labels (`app: bar`)"),
    ("invalid-name", "a NetworkPolicy named with `_`, which is not a DNS subdomain"),
    ("invalid-port", "a container port 0 in a Deployment"),
    ("invalid-label", "label values with `/` or `$` (multi-network cases, the deliberately broken `bad_netpols`)"),
    ("invalid-cidr", "an `ipBlock` whose `cidr` is `A`, in the deliberately broken `bad_netpols`"),
];

fn peer_cases() -> Option<PathBuf> {
    let dir = repo_root().join("..").join("shared").join("peer-cases").join("netpol-analyzer").join("tests");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: no netpol-analyzer peer cases at {}", dir.display());
        None
    }
}

#[test]
fn peer_inputs_have_only_reviewed_errors() {
    let Some(root) = peer_cases() else { return };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut lines = BTreeSet::new();
    let mut unreviewed = Vec::new();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let cluster = kubereach_load::load(
            &[kubereach_load::Input::Path(case.clone())],
            &kubereach_load::LoadOptions::new(),
        );
        let report = run(&cluster);
        for finding in report.findings.iter().filter(|f| f.severity == Severity::Error) {
            super::examples::assert_style(finding);
            let object = &finding.object;
            let line = format!(
                "{name}: {} {} {}/{}",
                finding.code,
                object.kind,
                object.namespace.as_deref().unwrap_or("-"),
                object.name
            );
            if !REVIEWED.iter().any(|(rule, _)| *rule == finding.rule) {
                unreviewed.push(format!("{line}: {}", finding.message));
            }
            lines.insert(line);
        }
    }
    assert!(unreviewed.is_empty(), "errors on peer inputs nobody reviewed:\n{}", unreviewed.join("\n"));
    snapshot!("peer_errors", lines.into_iter().collect::<Vec<_>>().join("\n"));
}
