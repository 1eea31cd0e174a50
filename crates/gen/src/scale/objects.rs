//! The Deployments and Services of the scale shape.

use super::{tier, Namespace};
use crate::yaml::emit;
use crate::yaml::Yaml;

/// A container port: name, number, protocol.
type Port = (&'static str, u16, &'static str);

/// The container ports of a tier; every tier also serves metrics.
pub(crate) fn tier_ports(tier: &str) -> &'static [Port] {
    match tier {
        "web" => &[("http", 8080, "TCP"), ("metrics", 9100, "TCP")],
        "api" => &[("http", 8080, "TCP"), ("grpc", 9090, "TCP"), ("metrics", 9100, "TCP")],
        "db" => &[("postgres", 5432, "TCP"), ("metrics", 9187, "TCP")],
        "cache" => &[("redis", 6379, "TCP"), ("gossip", 7946, "UDP"), ("metrics", 9121, "TCP")],
        _ => &[("metrics", 9100, "TCP")],
    }
}

pub(crate) fn write_deployment(y: &mut Yaml, ns: &Namespace, app: u64, replicas: u64) {
    let tier = tier(app);
    y.start_document();
    emit!(y, 0, "apiVersion: apps/v1");
    emit!(y, 0, "kind: Deployment");
    emit!(y, 0, "metadata:");
    emit!(y, 1, "name: app{app}");
    emit!(y, 1, "namespace: {}", ns.name);
    emit!(y, 1, "labels:");
    emit!(y, 2, "app: app{app}");
    emit!(y, 2, "tier: {tier}");
    emit!(y, 0, "spec:");
    emit!(y, 1, "replicas: {replicas}");
    emit!(y, 1, "selector:");
    emit!(y, 2, "matchLabels:");
    emit!(y, 3, "app: app{app}");
    emit!(y, 1, "template:");
    emit!(y, 2, "metadata:");
    emit!(y, 3, "labels:");
    emit!(y, 4, "app: app{app}");
    emit!(y, 4, "tier: {tier}");
    emit!(y, 4, "team: {}", ns.team);
    emit!(y, 2, "spec:");
    write_containers(y, 3, ns, app);
}

/// The `containers` of a pod of `app{app}` (one, with its tier's named
/// ports), the key written at `indent`.
pub(crate) fn write_containers(y: &mut Yaml, indent: usize, ns: &Namespace, app: u64) {
    let tier = tier(app);
    emit!(y, indent, "containers:");
    emit!(y, indent + 1, "- name: {tier}");
    emit!(y, indent + 2, "image: registry.example.com/{}/{tier}:1.0.{app}", ns.team);
    emit!(y, indent + 2, "ports:");
    for (name, number, protocol) in tier_ports(tier) {
        emit!(y, indent + 3, "- name: {name}");
        emit!(y, indent + 4, "containerPort: {number}");
        if *protocol != "TCP" {
            emit!(y, indent + 4, "protocol: {protocol}");
        }
    }
}

/// A ClusterIP Service in front of `app{app}`, one service port per named
/// container port, targeted by name (HTTP on 80).
pub(crate) fn write_service(y: &mut Yaml, ns: &Namespace, app: u64) {
    y.start_document();
    emit!(y, 0, "apiVersion: v1");
    emit!(y, 0, "kind: Service");
    emit!(y, 0, "metadata:");
    emit!(y, 1, "name: app{app}");
    emit!(y, 1, "namespace: {}", ns.name);
    emit!(y, 0, "spec:");
    emit!(y, 1, "selector:");
    emit!(y, 2, "app: app{app}");
    emit!(y, 1, "ports:");
    for (name, number, protocol) in tier_ports(tier(app)) {
        let port = if *name == "http" { 80 } else { *number };
        emit!(y, 2, "- name: {name}");
        emit!(y, 3, "port: {port}");
        emit!(y, 3, "targetPort: {name}");
        if *protocol != "TCP" {
            emit!(y, 3, "protocol: {protocol}");
        }
    }
}
