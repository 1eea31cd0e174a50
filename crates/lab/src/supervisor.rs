//! The supervisor: the one process that owns every pod's listening sockets
//! (no process per pod). For each network namespace it binds, on a thread
//! that entered that namespace, a TCP listener and a UDP socket for each
//! declared container port of each pod there; then it answers every TCP
//! connection and every UDP datagram with the pod's `namespace/name` and a
//! newline (an HTTP response to an HTTP request), so probes (and `curl`/`nc`
//! in the tutorial) see who answered.
//! SCTP ports are skipped (reported in the log); a port two hostNetwork
//! pods of one node both declare is held by the first.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, UdpSocket};
use std::time::Duration;

use kubereach_core::ports::Protocol;

use crate::exec::{state_dir, LabError, State};
use crate::topology::LabPod;

/// The sockets of one namespace, with the pod each answers for.
type Sockets = Vec<(String, Socket)>;

enum Socket {
    Tcp(TcpListener),
    Udp(UdpSocket),
}

/// Runs lab `name`'s supervisor: binds everything, marks the lab ready,
/// then serves until killed (by `lab down`).
pub fn run(name: &str) -> Result<(), LabError> {
    let state: State = crate::exec::read_state(name)?;
    let dir = state_dir(name);
    std::fs::write(dir.join("supervisor.pid"), std::process::id().to_string())
        .map_err(|source| LabError::Io { context: "cannot write the supervisor's pid".into(), source })?;
    let mut by_netns: BTreeMap<String, Vec<LabPod>> = BTreeMap::new();
    for pod in &state.plan.topology.pods {
        by_netns.entry(pod.netns.clone()).or_default().push(pod.clone());
    }
    let mut notes = Vec::new();
    let mut binders = Vec::new();
    for (netns, pods) in by_netns {
        binders.push((netns.clone(), crate::netns::spawn_in(&netns, move || bind_all(&pods))));
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

/// Binds every port of `pods` (all in the calling thread's namespace).
fn bind_all(pods: &[LabPod]) -> io::Result<(Sockets, Vec<String>)> {
    let mut sockets = Vec::new();
    let mut skipped = Vec::new();
    for pod in pods {
        let who = format!("{}/{}", pod.namespace, pod.name);
        for port in &pod.ports {
            let address = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port.port);
            let bound = match port.protocol {
                Protocol::Tcp => listen(address).map(Socket::Tcp),
                Protocol::Udp => UdpSocket::bind(address).map(Socket::Udp),
                Protocol::Sctp => {
                    skipped.push(format!("{who}: SCTP port {} is not served", port.port));
                    continue;
                }
            };
            match bound {
                Ok(socket) => sockets.push((who.clone(), socket)),
                Err(error) => skipped.push(format!("{who}: {}/{}: {error}", port.port, port.protocol)),
            }
        }
    }
    Ok((sockets, skipped))
}

/// Connections answered at once; beyond that each waits its turn.
const MAX_CONNECTIONS: usize = 256;
/// How long a connection may take to send its first bytes.
const FIRST_BYTES: Duration = Duration::from_millis(500);

/// A TCP listener with a deep accept queue: probes open hundreds of
/// connections to one pod at once.
fn listen(address: SocketAddrV4) -> io::Result<TcpListener> {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&std::net::SocketAddr::V4(address).into())?;
    socket.listen(4096)?;
    Ok(socket.into())
}

fn serve(who: &str, socket: Socket) {
    let active = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    match socket {
        Socket::Tcp(listener) => {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let reply = who.to_owned();
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
            let reply = format!("{who}\n");
            let mut buffer = [0u8; 512];
            loop {
                let Ok((_, peer)) = socket.recv_from(&mut buffer) else { continue };
                let _ = socket.send_to(reply.as_bytes(), peer);
            }
        }
    }
}

/// Answers one TCP connection with the pod's name: as an HTTP response
/// when the client speaks HTTP (so `curl` works), else as a line, after
/// the client's first bytes or a short wait.
fn answer(mut stream: std::net::TcpStream, who: &str) {
    use std::io::Read;
    let _ = stream.set_read_timeout(Some(FIRST_BYTES));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let mut first = [0u8; 512];
    let read = stream.read(&mut first).unwrap_or(0);
    let request = &first[..read];
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
