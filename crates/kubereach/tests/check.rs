//! `kubereach check`: the rules on their documented examples, on the demo
//! cluster, on healthy clusters and the netpol-analyzer peer inputs; the
//! command line, the config file, suppression, and the three formats; and
//! the generated rule pages in `docs/rules/`.
//!
//! Update the snapshots after an intended change with
//! `INSTA_UPDATE=always cargo test -p kubereach --test check` and review the
//! diff; regenerate the rule pages with
//! `KUBEREACH_BLESS=1 cargo test -p kubereach --test check docs`.

#[allow(dead_code)]
#[path = "cli/util.rs"]
mod util;

#[path = "check/cli.rs"]
mod cli;
#[path = "check/demo.rs"]
mod demo;
#[path = "check/docs.rs"]
mod docs;
#[path = "check/examples.rs"]
mod examples;
#[path = "check/gateway.rs"]
mod gateway;
#[path = "check/healthy.rs"]
mod healthy;
#[path = "check/sarif.rs"]
mod sarif;
