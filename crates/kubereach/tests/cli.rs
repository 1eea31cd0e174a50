//! Command-line tests: the `kubereach` binary run on files in temp dirs and
//! fixtures, with whole-output snapshots in `tests/snapshots/`.
//!
//! Update the snapshots after an intended change with
//! `INSTA_UPDATE=always cargo test -p kubereach --test cli` and review the diff.

#[path = "cli/util.rs"]
mod util;

#[path = "cli/agreement.rs"]
mod agreement;
#[path = "cli/architecture.rs"]
mod architecture;
#[path = "cli/bad_input.rs"]
mod bad_input;
#[path = "cli/binary_snapshot.rs"]
mod binary_snapshot;
#[path = "cli/conventions.rs"]
mod conventions;
#[path = "cli/credentials.rs"]
mod credentials;
#[path = "cli/demo.rs"]
mod demo;
#[path = "cli/gateway_proxies.rs"]
mod gateway_proxies;
#[path = "cli/generated_standalone.rs"]
mod generated_standalone;
#[path = "cli/hostile.rs"]
mod hostile;
#[path = "cli/imports.rs"]
mod imports;
#[path = "cli/ingress_proxies.rs"]
mod ingress_proxies;
#[path = "cli/kubectl.rs"]
mod kubectl;
#[path = "cli/live.rs"]
mod live;
#[path = "cli/matrix.rs"]
mod matrix;
#[path = "cli/model.rs"]
mod model;
#[path = "cli/peer_cases.rs"]
mod peer_cases;
#[path = "cli/scale_golden.rs"]
mod scale_golden;
#[path = "cli/sources.rs"]
mod sources;
#[path = "cli/unreadable.rs"]
mod unreadable;
