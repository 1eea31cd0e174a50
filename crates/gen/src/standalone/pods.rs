//! A standalone Pod as `kubectl get pods -o yaml` shows a running one.

use std::net::Ipv4Addr;

use crate::scale::objects::write_containers;
use crate::scale::{tier, Namespace, DEPLOYMENTS};
use crate::yaml::emit;
use crate::yaml::Yaml;

/// Writes pod `n` of the namespace, running and ready at `ip`.
pub(crate) fn write_pod(y: &mut Yaml, ns: &Namespace, n: u64, ip: Ipv4Addr) {
    let app = n % DEPLOYMENTS;
    y.start_document();
    emit!(y, 0, "apiVersion: v1");
    emit!(y, 0, "kind: Pod");
    emit!(y, 0, "metadata:");
    emit!(y, 1, "name: app{app}-{}", n / DEPLOYMENTS);
    emit!(y, 1, "namespace: {}", ns.name);
    emit!(y, 1, "labels:");
    emit!(y, 2, "app: app{app}");
    emit!(y, 2, "tier: {}", tier(app));
    emit!(y, 2, "team: {}", ns.team);
    emit!(y, 0, "spec:");
    write_containers(y, 1, ns, app);
    emit!(y, 0, "status:");
    emit!(y, 1, "phase: Running");
    emit!(y, 1, "podIP: {ip}");
    emit!(y, 1, "podIPs:");
    emit!(y, 1, "- ip: {ip}");
    emit!(y, 1, "conditions:");
    emit!(y, 1, "- type: Ready");
    emit!(y, 2, "status: \"True\"");
}
