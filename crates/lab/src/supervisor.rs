//! The supervisor: the one process that owns every pod's listening sockets
//! (no process per pod). For each network namespace it binds, on a thread
//! that entered that namespace, a TCP listener and a UDP socket for each
//! declared container port of each pod there; then it answers every TCP
//! connection and every UDP datagram with the pod's `namespace/name` and a
//! newline (an HTTP response to an HTTP request), so probes (and `curl`/`nc`
//! in the tutorial) see who answered.
//! SCTP ports are skipped (reported in the log); a port two hostNetwork
//! pods of one node both declare is held by the first.
//!
//! The cluster DNS pods' sockets behind the DNS Service's port 53 also
//! answer DNS queries ([`crate::cluster_dns`]): a datagram or TCP stream
//! that is a DNS message gets a DNS answer, anything else the pod's name.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use kubereach_core::ports::Protocol;
use kubereach_core::Cluster;

use crate::cluster_dns::{dns_sockets, LabDns};
use crate::exec::{state_dir, LabError, State};
use crate::listener::listen;
use crate::topology::LabPod;

/// The sockets of one namespace, with the pod each answers for.
type Sockets = Vec<(Who, Socket)>;

/// Who answers on a socket: the pod's `namespace/name`, and cluster DNS
/// when the socket is one of its.
#[derive(Clone)]
struct Who {
    pod: String,
    dns: Option<Arc<LabDns>>,
}

enum Socket {
    Tcp(TcpListener),
    Udp(UdpSocket),
}

/// Runs lab `name`'s supervisor: binds everything, marks the lab ready,
/// then serves until killed (by `lab down`). `cluster` is the lab's
/// cluster, loaded from its sources: cluster DNS answers from it.
pub fn run(name: &str, cluster: Cluster) -> Result<(), LabError> {
    let state: State = crate::exec::read_state(name)?;
    let dns_ports = Arc::new(dns_sockets(&cluster, &state.plan));
    // The ingress controller pods' ports 80 and 443 are the proxy's.
    let proxied: Arc<BTreeSet<(u32, u16)>> = Arc::new(
        crate::ingress_controller::controller_pods(&cluster, &state.plan)
            .into_iter()
            .flat_map(|(pod, ports)| ports.into_iter().map(move |(port, _)| (pod.pod, port)))
            .collect(),
    );
    let shared = Arc::new(cluster.clone());
    let dns = Arc::new(LabDns::new(cluster, &state.plan));
    let dir = state_dir(name);
    crate::ingress_controller::start_all(&shared, &Arc::new(state.plan.clone()), &dir)?;
    std::fs::write(dir.join("supervisor.pid"), std::process::id().to_string())
        .map_err(|source| LabError::Io { context: "cannot write the supervisor's pid".into(), source })?;
    let mut by_netns: BTreeMap<String, Vec<LabPod>> = BTreeMap::new();
    for pod in &state.plan.topology.pods {
        by_netns.entry(pod.netns.clone()).or_default().push(pod.clone());
    }
    let mut notes = Vec::new();
    let mut binders = Vec::new();
    for (netns, pods) in by_netns {
        let (dns, dns_ports, proxied) = (Arc::clone(&dns), Arc::clone(&dns_ports), Arc::clone(&proxied));
        binders.push((
            netns.clone(),
            crate::netns::spawn_in(&netns, move || bind_all(&pods, &dns_ports, &dns, &proxied)),
        ));
    }
    let mut sockets: Sockets = Vec::new();
    for (netns, binder) in binders {
        let joined = binder
            .map_err(|e| LabError::Supervisor(format!("{netns}: {e}")))?
            .join()
            .map_err(|_| LabError::Supervisor(format!("{netns}: a thread panicked")))?;
        let (bound, skipped) =
            joined.and_then(|r| r).map_err(|e| LabError::Supervisor(format!("{netns}: {e}")))?;
        sockets.extend(bound);
        notes.extend(skipped);
    }
    for note in &notes {
        eprintln!("kubereach lab supervise: {note}");
    }
    let mut handles = Vec::new();
    for (who, socket) in sockets {
        let builder = std::thread::Builder::new().stack_size(64 * 1024);
        let handle = builder
            .spawn(move || serve(&who, socket))
            .map_err(|e| LabError::Supervisor(format!("cannot start a thread: {e}")))?;
        handles.push(handle);
    }
    std::fs::write(dir.join("supervisor.ready"), notes.join("\n"))
        .map_err(|source| LabError::Io { context: "cannot mark the supervisor ready".into(), source })?;
    for handle in handles {
        let _ = handle.join();
    }
    Ok(())
}

/// Binds every port of `pods` (all in the calling thread's namespace);
/// those in `dns_ports` serve `dns` too; those in `proxied` (TCP, the
/// ingress controller's) are left to [`crate::ingress_controller`].
fn bind_all(
    pods: &[LabPod],
    dns_ports: &BTreeSet<(u32, u16, Protocol)>,
    dns: &Arc<LabDns>,
    proxied: &BTreeSet<(u32, u16)>,
) -> io::Result<(Sockets, Vec<String>)> {
    let mut sockets = Vec::new();
    let mut skipped = Vec::new();
    for pod in pods {
        let name = format!("{}/{}", pod.namespace, pod.name);
        for port in &pod.ports {
            if port.protocol == Protocol::Tcp && proxied.contains(&(pod.pod, port.port)) {
                continue;
            }
            let serves_dns = dns_ports.contains(&(pod.pod, port.port, port.protocol));
            let who = Who { pod: name.clone(), dns: serves_dns.then(|| Arc::clone(dns)) };
            let address = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port.port);
            let bound = match port.protocol {
                Protocol::Tcp => listen(address).map(Socket::Tcp),
                Protocol::Udp => UdpSocket::bind(address).map(Socket::Udp),
                Protocol::Sctp => {
                    skipped.push(format!("{name}: SCTP port {} is not served", port.port));
                    continue;
                }
            };
            match bound {
                Ok(socket) => sockets.push((who.clone(), socket)),
                Err(error) => skipped.push(format!("{name}: {}/{}: {error}", port.port, port.protocol)),
            }
        }
    }
    Ok((sockets, skipped))
}

/// Connections answered at once; beyond that each waits its turn.
const MAX_CONNECTIONS: usize = 256;
/// How long a connection may take to send its first bytes.
const FIRST_BYTES: Duration = Duration::from_millis(500);

fn serve(who: &Who, socket: Socket) {
    let active = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    match socket {
        Socket::Tcp(listener) => {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let reply = who.clone();
                let counter = std::sync::Arc::clone(&active);
                if counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= MAX_CONNECTIONS {
                    answer(stream, &reply);
                    counter.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    continue;
                }
                let spawned = std::thread::Builder::new().stack_size(64 * 1024).spawn(move || {
                    answer(stream, &reply);
                    counter.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                });
                if spawned.is_err() {
                    active.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
        }
        Socket::Udp(socket) => {
            let name = format!("{}\n", who.pod);
            let mut buffer = [0u8; 512];
            loop {
                let Ok((read, peer)) = socket.recv_from(&mut buffer) else { continue };
                let reply = who.dns.as_ref().and_then(|dns| dns.respond_udp(&buffer[..read]));
                let _ = socket.send_to(reply.as_deref().unwrap_or(name.as_bytes()), peer);
            }
        }
    }
}

/// Answers one TCP connection with the pod's name: as an HTTP response
/// when the client speaks HTTP (so `curl` works), else as a line, after
/// the client's first bytes or a short wait. On a cluster DNS socket, a
/// DNS message gets DNS answers.
fn answer(mut stream: std::net::TcpStream, who: &Who) {
    let _ = stream.set_read_timeout(Some(FIRST_BYTES));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let mut first = [0u8; 512];
    let read = stream.read(&mut first).unwrap_or(0);
    let request = &first[..read];
    if let Some(dns) = &who.dns {
        // A DNS message over TCP starts with its two-byte length (RFC 1035
        // 4.2.2), below 512 for any query, so its first byte is 0 or 1; no
        // text line starts so.
        if request.len() >= 2 && request[0] <= 1 {
            serve_dns_stream(stream, request, dns);
            return;
        }
    }
    let who = who.pod.as_str();
    let http = [&b"GET "[..], b"HEAD ", b"POST ", b"PUT ", b"DELETE ", b"OPTIONS "]
        .iter()
        .any(|m| request.starts_with(m));
    let body = format!("{who}\n");
    let reply = if http {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    } else {
        body
    };
    let _ = stream.write_all(reply.as_bytes());
}

/// The most queries one DNS connection may send.
const MAX_TCP_QUERIES: usize = 64;

/// Answers length-prefixed DNS messages on `stream`, `first` being the
/// bytes already read, until the client closes, stalls or sent
/// [`MAX_TCP_QUERIES`].
fn serve_dns_stream(mut stream: std::net::TcpStream, first: &[u8], dns: &LabDns) {
    let mut pending = first.to_vec();
    for _ in 0..MAX_TCP_QUERIES {
        while pending.len() < 2
            || pending.len() < 2 + usize::from(u16::from_be_bytes([pending[0], pending[1]]))
        {
            let mut more = [0u8; 1024];
            match stream.read(&mut more) {
                Ok(0) | Err(_) => return,
                Ok(n) => pending.extend_from_slice(&more[..n]),
            }
        }
        let length = 2 + usize::from(u16::from_be_bytes([pending[0], pending[1]]));
        let Some(reply) = dns.respond(&pending[2..length]) else { return };
        let Ok(prefix) = u16::try_from(reply.len()) else { return };
        if stream.write_all(&prefix.to_be_bytes()).and_then(|()| stream.write_all(&reply)).is_err() {
            return;
        }
        pending.drain(..length);
    }
}
