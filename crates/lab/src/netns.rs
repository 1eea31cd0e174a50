//! Entering a network namespace: on a dedicated thread, so the calling
//! thread (and every other) keeps its own. Sockets created on that thread
//! belong to the namespace for their whole life, whichever thread uses them.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

/// Where `ip netns add` pins namespaces.
pub const NETNS_DIR: &str = "/run/netns";

/// The path of the named namespace.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(NETNS_DIR).join(name)
}

/// Moves the calling thread into the named namespace. Call it only on a
/// thread made for it ([`run_in`]).
fn enter(name: &str) -> io::Result<()> {
    let file = File::open(path(name))?;
    // SAFETY: setns on a valid descriptor of a network namespace file only
    // changes this thread's namespace.
    let result = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Runs `work` on a new thread inside the named namespace and returns its
/// result.
pub fn run_in<T: Send + 'static>(name: &str, work: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
    let name = name.to_owned();
    let handle = std::thread::Builder::new().name(format!("netns {name}")).stack_size(256 * 1024).spawn(
        move || -> io::Result<T> {
            enter(&name)?;
            Ok(work())
        },
    )?;
    handle.join().map_err(|_| io::Error::other("a namespace thread panicked"))?
}

/// Spawns `work` on a new thread inside the named namespace.
pub fn spawn_in<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> io::Result<std::thread::JoinHandle<io::Result<T>>> {
    let name = name.to_owned();
    std::thread::Builder::new().name(format!("netns {name}")).stack_size(256 * 1024).spawn(move || {
        enter(&name)?;
        Ok(work())
    })
}
