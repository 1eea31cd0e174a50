//! Listening sockets of the lab's pod servers and ingress proxies.

use std::io;
use std::net::{SocketAddrV4, TcpListener};

/// A TCP listener with a deep accept queue: probes open hundreds of
/// connections to one pod at once.
pub(crate) fn listen(address: SocketAddrV4) -> io::Result<TcpListener> {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&std::net::SocketAddr::V4(address).into())?;
    socket.listen(4096)?;
    Ok(socket.into())
}
