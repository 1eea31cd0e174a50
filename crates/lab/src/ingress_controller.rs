//! Starting the lab's ingress controllers: which pods are controllers
//! (the core's answer: the pods of the controller of some Ingress's
//! class), their ports (80 HTTP and 443 HTTPS, ingress-nginx's defaults),
//! the lab CA, and one thread per controller pod, inside its network
//! namespace, that binds those ports and runs [`crate::ingress_proxy`].

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

use kubereach_core::model::PodId;
use kubereach_core::ports::Protocol;
use kubereach_core::Cluster;

use crate::exec::LabError;
use crate::ingress_proxy::{serve, tls_config, Controller};
use crate::ingress_route::{certificate_for, is_controller, Scheme};
use crate::ingress_tls::{fake_certificate, LabCa, SniResolver};
use crate::plan::Plan;
use crate::topology::LabPod;

/// The file, in the lab's state directory, holding the lab CA's certificate.
pub const CA_FILE: &str = "ca.crt";

/// The container port of a controller pod and how it is served.
pub fn controller_port(port: u16, protocol: Protocol) -> Option<Scheme> {
    match (port, protocol) {
        (80, Protocol::Tcp) => Some(Scheme::Http),
        (443, Protocol::Tcp) => Some(Scheme::Https),
        _ => None,
    }
}

/// The lab's ingress controller pods (not hostNetwork), with the ports they proxy on.
pub fn controller_pods<'p>(cluster: &Cluster, plan: &'p Plan) -> Vec<(&'p LabPod, Vec<(u16, Scheme)>)> {
    plan.topology
        .pods
        .iter()
        .filter(|pod| !pod.host_network && is_controller(cluster, PodId(pod.pod)))
        .map(|pod| {
            let ports = pod.ports.iter().filter_map(|p| Some((p.port, controller_port(p.port, p.protocol)?)));
            (pod, ports.collect::<Vec<_>>())
        })
        .filter(|(_, ports)| !ports.is_empty())
        .collect()
}

/// Makes the lab CA (its certificate written to `state_dir`), then starts
/// every controller pod's proxy; returns once all are bound.
pub fn start_all(
    cluster: &Arc<Cluster>,
    plan: &Arc<Plan>,
    state_dir: &std::path::Path,
) -> Result<(), LabError> {
    let pods: Vec<(LabPod, Vec<(u16, Scheme)>)> =
        controller_pods(cluster, plan).into_iter().map(|(pod, ports)| (pod.clone(), ports)).collect();
    if pods.is_empty() {
        return Ok(());
    }
    let failed = |e: crate::ingress_tls::TlsError| LabError::Supervisor(format!("ingress controller: {e}"));
    let ca = Arc::new(LabCa::new().map_err(failed)?);
    std::fs::write(state_dir.join(CA_FILE), ca.pem())
        .map_err(|source| LabError::Io { context: "cannot write the lab CA".into(), source })?;
    let fake = fake_certificate().map_err(failed)?;
    for (pod, ports) in pods {
        let id = PodId(pod.pod);
        let sni_cluster = Arc::clone(cluster);
        let resolver = SniResolver::new(
            Arc::clone(&ca),
            Arc::clone(&fake),
            Box::new(move |name| certificate_for(&sni_cluster, id, name).is_some()),
        );
        let tls = tls_config(Arc::new(resolver))
            .map_err(|e| LabError::Supervisor(format!("ingress controller: {e}")))?;
        let who = format!("{}/{}", pod.namespace, pod.name);
        let controller = Controller::new(Arc::clone(cluster), Arc::clone(plan), id, who.clone());
        start(&pod.netns, controller, ports, tls).map_err(|e| LabError::Supervisor(format!("{who}: {e}")))?;
    }
    Ok(())
}

/// Binds `ports` in namespace `netns`, then serves them for good on a
/// thread of their own (made from a thread inside the namespace, so it
/// starts there too, with a stack for hyper's futures); returns once they
/// are bound.
fn start(
    netns: &str,
    controller: Controller,
    ports: Vec<(u16, Scheme)>,
    tls: Arc<rustls::ServerConfig>,
) -> std::io::Result<()> {
    let spawned = crate::netns::run_in(netns, move || -> std::io::Result<()> {
        let listeners = ports
            .iter()
            .map(|&(port, scheme)| {
                crate::listener::listen(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)).map(|l| (l, scheme))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        let who = controller.who.clone();
        std::thread::Builder::new().name(format!("ingress {who}")).stack_size(2 * 1024 * 1024).spawn(
            move || {
                if let Err(error) = serve(controller, listeners, tls) {
                    eprintln!("kubereach lab supervise: {who}: {error}");
                }
            },
        )?;
        Ok(())
    })?;
    spawned
}
