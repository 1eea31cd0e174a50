//! `kubereach trace` and `kubereach dns` through the command line: the
//! single-fault cases under `tests/trace/fixtures/`, the demo cluster, the
//! JSON contract and exit codes, with whole-output snapshots in
//! `tests/snapshots/` (named `trace__…`).
//!
//! Update the snapshots after an intended change with
//! `INSTA_UPDATE=always cargo test -p kubereach --test trace` and review the diff.

#[path = "trace/util.rs"]
mod util;

#[path = "trace/cases.rs"]
mod cases;
#[path = "trace/contract.rs"]
mod contract;
#[path = "trace/demo.rs"]
mod demo;
#[path = "trace/dns.rs"]
mod dns;
