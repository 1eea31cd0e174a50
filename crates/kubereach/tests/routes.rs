//! `kubereach routes`: the external routing table of Ingress and Gateway
//! API clusters, and `routes --diff` on three ingress-nginx → Gateway API
//! migrations written the way ingress2gateway translates them
//! (`tests/routes/fixtures/<case>/{old,new}`): one equivalent, two with
//! the differences a migration must not miss.
//!
//! Update the snapshots after an intended change with
//! `INSTA_UPDATE=always cargo test -p kubereach --test routes` and review the diff.

#[allow(dead_code)]
#[path = "cli/util.rs"]
mod util;

#[path = "routes/live.rs"]
mod live;
#[path = "routes/migration.rs"]
mod migration;
#[path = "routes/table.rs"]
mod table;
