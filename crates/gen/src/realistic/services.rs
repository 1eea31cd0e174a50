//! Services and Ingresses in front of the workloads.

use super::plan::*;
use super::vocab::*;
use crate::rng::Rng;
use crate::yaml::emit;
use crate::yaml::Yaml;

/// The Service port published for a container port.
pub(crate) fn service_port(p: &Port) -> u16 {
    match p.name {
        "http" => 80,
        _ => p.number,
    }
}

pub(crate) fn write_service(y: &mut Yaml, ns: &Namespace, w: &Workload, s: &ServicePlan) {
    y.start_document();
    emit!(y, 0, "apiVersion: v1");
    emit!(y, 0, "kind: Service");
    emit!(y, 0, "metadata:");
    emit!(y, 1, "name: {}", s.name);
    emit!(y, 1, "namespace: {}", ns.name);
    emit!(y, 1, "labels:");
    y.map(2, &[("app", &w.name), ("tier", w.tier.as_str()), ("team", w.team)]);
    if s.kind == ServiceKind::LoadBalancer {
        emit!(y, 1, "annotations:");
        emit!(y, 2, "service.beta.kubernetes.io/aws-load-balancer-type: nlb");
    }
    emit!(y, 0, "spec:");
    let type_name = match s.kind {
        ServiceKind::ClusterIp | ServiceKind::Headless => "ClusterIP",
        ServiceKind::NodePort => "NodePort",
        ServiceKind::LoadBalancer => "LoadBalancer",
    };
    emit!(y, 1, "type: {type_name}");
    match &s.cluster_ip {
        Some(ip) => {
            emit!(y, 1, "clusterIP: {ip}");
            emit!(y, 1, "clusterIPs: [\"{ip}\"]");
        }
        None => emit!(y, 1, "clusterIP: None"),
    }
    if s.kind == ServiceKind::Headless {
        emit!(y, 1, "publishNotReadyAddresses: true");
    }
    if matches!(s.kind, ServiceKind::NodePort | ServiceKind::LoadBalancer) {
        emit!(y, 1, "externalTrafficPolicy: Cluster");
    }
    emit!(y, 1, "ipFamilyPolicy: SingleStack");
    emit!(y, 1, "ipFamilies: [\"IPv4\"]");
    emit!(y, 1, "sessionAffinity: None");
    emit!(y, 1, "selector:");
    y.map(2, &[("app", &w.name), ("tier", w.tier.as_str())]);
    emit!(y, 1, "ports:");
    for (i, p) in w.ports.iter().enumerate() {
        emit!(y, 2, "- name: {}", p.name);
        emit!(y, 3, "port: {}", service_port(p));
        emit!(y, 3, "protocol: {}", p.protocol);
        if s.named_target {
            emit!(y, 3, "targetPort: {}", p.name);
        } else {
            emit!(y, 3, "targetPort: {}", p.number);
        }
        if let Some(base) = s.node_port_base {
            emit!(y, 3, "nodePort: {}", base + i as u16);
        }
    }
    if let Some(ip) = &s.lb_ip {
        emit!(y, 0, "status:");
        emit!(y, 1, "loadBalancer:");
        emit!(y, 2, "ingress:");
        emit!(y, 3, "- ip: {ip}");
        emit!(y, 4, "ipMode: VIP");
    }
}

pub(crate) fn write_ingress(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    let Some(svc) = w.front_service() else {
        return;
    };
    let api = ns.workloads.iter().find(|o| o.tier == Tier::Api && o.front_service().is_some());
    let host = format!("{}.{}.example.com", w.name, ns.name);
    y.start_document();
    emit!(y, 0, "apiVersion: networking.k8s.io/v1");
    emit!(y, 0, "kind: Ingress");
    emit!(y, 0, "metadata:");
    emit!(y, 1, "name: {}", w.name);
    emit!(y, 1, "namespace: {}", ns.name);
    emit!(y, 1, "labels:");
    y.map(2, &[("app", &w.name), ("team", w.team)]);
    emit!(y, 1, "annotations:");
    emit!(y, 2, "nginx.ingress.kubernetes.io/proxy-body-size: 8m");
    emit!(y, 2, "nginx.ingress.kubernetes.io/proxy-read-timeout: \"60\"");
    let tls = rng.chance(60);
    if tls {
        emit!(y, 2, "cert-manager.io/cluster-issuer: letsencrypt-prod");
    }
    emit!(y, 0, "spec:");
    emit!(y, 1, "ingressClassName: nginx");
    if tls {
        emit!(y, 1, "tls:");
        emit!(y, 2, "- hosts:");
        emit!(y, 4, "- {host}");
        emit!(y, 3, "secretName: {}-tls", w.name);
    }
    emit!(y, 1, "rules:");
    emit!(y, 2, "- host: {host}");
    emit!(y, 3, "http:");
    emit!(y, 4, "paths:");
    if let Some((api, api_svc)) = api.and_then(|a| Some((a, a.front_service()?))) {
        let path_type = rng.pick(&["Prefix", "Prefix", "ImplementationSpecific"]);
        write_ingress_path(y, "/api", path_type, &api_svc.name, api.named_port(), true);
    }
    if rng.chance(15) {
        write_ingress_path(y, "/robots.txt", "Exact", &svc.name, w.named_port(), false);
    }
    write_ingress_path(y, "/", "Prefix", &svc.name, w.named_port(), rng.chance(50));
}

pub(crate) fn write_ingress_path(
    y: &mut Yaml,
    path: &str,
    path_type: &str,
    service: &str,
    port: Option<&Port>,
    by_name: bool,
) {
    let Some(port) = port else {
        return;
    };
    emit!(y, 5, "- path: {path}");
    emit!(y, 6, "pathType: {path_type}");
    emit!(y, 6, "backend:");
    emit!(y, 7, "service:");
    emit!(y, 8, "name: {service}");
    emit!(y, 8, "port:");
    if by_name {
        emit!(y, 9, "name: {}", port.name);
    } else {
        emit!(y, 9, "number: {}", service_port(port));
    }
}
