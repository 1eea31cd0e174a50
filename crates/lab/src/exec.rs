//! The executor: applies a [`Plan`] with `ip` and `nft`, and tears a lab
//! down. Everything a lab owns is found again from its state directory
//! `/run/kubereach-lab/<name>/`: `state.json` (the plan and the manifest
//! paths), `intent.log` (each namespace, written *before* it is created),
//! `lock` (held with `flock` while `up` or `down` runs; the kernel drops it
//! when the process dies, even by `kill -9`) and `supervisor.pid`. `down`
//! kills the supervisor, deletes every namespace of the intent log and
//! every `/run/netns/kr-<name>-*` (links, routes, nftables tables and
//! conntrack entries live in them and go with them), every
//! `/etc/netns/kr-<name>-*` (the pods' `resolv.conf`, logged as `etc …`
//! before it is written), then the directory:
//! it leaves nothing, whatever point `up` reached, and running it twice is
//! harmless.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::plan::{Plan, Step};
use crate::resolv::ETC_NETNS_DIR;
use crate::topology::netns_prefix;

/// Where labs keep their state.
pub const STATE_DIR: &str = "/run/kubereach-lab";
/// How long `up` waits for the supervisor to bind every socket.
const SUPERVISOR_START: Duration = Duration::from_secs(30);
/// How long `down` waits for a lock another `up`/`down` holds.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// What a lab's state file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// The plan that was applied.
    pub plan: Plan,
    /// The manifest paths the plan was built from (absolute), for `probe`.
    pub sources: Vec<String>,
    /// Whether NetworkPolicy enforcement was forced (`--cni`-like override).
    pub enforce: Option<bool>,
    /// `--cluster-domain`, when given.
    pub cluster_domain: Option<String>,
}

/// Why the executor failed.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The lab needs Linux and root.
    #[error("`kubereach lab` needs root on Linux (it creates network namespaces); run it with sudo")]
    NotRoot,
    /// A tool the lab runs is missing.
    #[error("`{0}` was not found; install it (Debian/Ubuntu: apt-get install iproute2 nftables conntrack)")]
    MissingTool(String),
    /// A lab of that name exists already.
    #[error("lab `{0}` exists; remove it first with `kubereach lab down {0}`")]
    Exists(String),
    /// No lab of that name.
    #[error("no lab `{0}` is running (see `kubereach lab ls`)")]
    NotFound(String),
    /// Another `up` or `down` holds the lab's lock.
    #[error("lab `{0}` is busy: another `kubereach lab` command holds its lock")]
    Busy(String),
    /// A file operation failed.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A command failed.
    #[error("`{command}` failed: {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// Its error output, cut to a few lines.
        stderr: String,
    },
    /// The state file is unreadable.
    #[error("the state of lab `{name}` is unreadable: {reason}")]
    State {
        /// The lab.
        name: String,
        /// Why.
        reason: String,
    },
    /// The supervisor did not come up.
    #[error("the lab's socket supervisor did not start: {0}")]
    Supervisor(String),
}

fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> LabError {
    let context = context.into();
    move |source| LabError::Io { context, source }
}

/// The state directory of lab `name`.
pub fn state_dir(name: &str) -> PathBuf {
    Path::new(STATE_DIR).join(name)
}

/// Fails unless the process is root and `ip`, `nft` and `conntrack` exist.
pub fn check_environment() -> Result<(), LabError> {
    // SAFETY: geteuid has no preconditions.
    if !cfg!(target_os = "linux") || unsafe { libc::geteuid() } != 0 {
        return Err(LabError::NotRoot);
    }
    for tool in ["ip", "nft", "conntrack"] {
        if find_tool(tool).is_none() {
            return Err(LabError::MissingTool(tool.to_owned()));
        }
    }
    Ok(())
}

fn find_tool(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain(["/usr/sbin", "/sbin"].map(PathBuf::from));
    dirs.map(|dir| dir.join(tool)).find(|candidate| candidate.is_file())
}

/// A held `flock` on a lab's lock file; released on drop or death.
pub struct Lock {
    _file: File,
}

/// Takes lab `name`'s lock, waiting up to `wait`.
fn lock(name: &str, wait: Duration) -> Result<Lock, LabError> {
    let dir = state_dir(name);
    fs::create_dir_all(&dir).map_err(io_error(format!("cannot create {}", dir.display())))?;
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_error(format!("cannot open {}", path.display())))?;
    let start = Instant::now();
    loop {
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(Lock { _file: file });
        }
        if start.elapsed() >= wait {
            return Err(LabError::Busy(name.to_owned()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Builds the lab: applies every step of `plan`, flushes conntrack in the
/// nodes, then starts the supervisor with `supervisor` (the program and
/// its arguments) and waits until it listens. `on_namespace` hears of each
/// namespace as it is created (how many so far, of how many, its name),
/// for a progress line.
pub fn up(
    plan: &Plan,
    state: &State,
    supervisor: &[String],
    on_namespace: &mut dyn FnMut(usize, usize, &str),
) -> Result<(), LabError> {
    check_environment()?;
    let name = &plan.topology.name;
    if state_dir(name).join("state.json").exists() || existing_namespaces(name).next().is_some() {
        return Err(LabError::Exists(name.clone()));
    }
    let _lock = lock(name, Duration::ZERO)?;
    let dir = state_dir(name);
    let text = serde_json::to_vec(state)
        .map_err(|e| LabError::State { name: name.clone(), reason: e.to_string() })?;
    fs::write(dir.join("state.json"), text).map_err(io_error("cannot write the lab's state"))?;
    let mut intent = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("intent.log"))
        .map_err(io_error("cannot open the intent log"))?;
    apply(&plan.steps, &mut intent, on_namespace)?;
    for node in &plan.topology.nodes {
        flush_conntrack(&node.netns)?;
    }
    start_supervisor(name, supervisor)
}

fn apply(
    steps: &[Step],
    intent: &mut File,
    on_namespace: &mut dyn FnMut(usize, usize, &str),
) -> Result<(), LabError> {
    let namespaces = steps.iter().filter(|s| matches!(s, Step::Netns(_))).count();
    let mut created = 0;
    let mut index = 0;
    while index < steps.len() {
        match &steps[index] {
            Step::Netns(netns) => {
                writeln!(intent, "netns {netns}").map_err(io_error("cannot write the intent log"))?;
                intent.sync_data().map_err(io_error("cannot write the intent log"))?;
                run("ip", &["netns", "add", netns], None)?;
                created += 1;
                on_namespace(created, namespaces, netns);
                index += 1;
            }
            Step::Ip { netns, .. } => {
                // Consecutive commands in one namespace: one `ip -batch`.
                let mut batch = String::new();
                while let Some(Step::Ip { netns: next, args }) = steps.get(index) {
                    if next != netns {
                        break;
                    }
                    batch.push_str(args);
                    batch.push('\n');
                    index += 1;
                }
                run("ip", &["-n", netns, "-batch", "-"], Some(&batch))?;
            }
            Step::Sysctl { netns, key, value } => {
                let path = format!("/proc/sys/{key}");
                let value = value.clone();
                crate::netns::run_in(netns, move || fs::write(&path, value))
                    .and_then(|r| r)
                    .map_err(io_error(format!("cannot set {key} in {netns}")))?;
                index += 1;
            }
            Step::Nft { netns, ruleset } => {
                run("ip", &["netns", "exec", netns, "nft", "-f", "-"], Some(ruleset))?;
                index += 1;
            }
            Step::EtcFile { netns, file, text } => {
                writeln!(intent, "etc {netns}").map_err(io_error("cannot write the intent log"))?;
                intent.sync_data().map_err(io_error("cannot write the intent log"))?;
                let dir = Path::new(ETC_NETNS_DIR).join(netns);
                fs::create_dir_all(&dir).map_err(io_error(format!("cannot create {}", dir.display())))?;
                let path = dir.join(file);
                fs::write(&path, text).map_err(io_error(format!("cannot write {}", path.display())))?;
                index += 1;
            }
        }
    }
    Ok(())
}

/// Forgets every tracked connection in `netns`: policies judge new
/// connections only, so old entries would hide a changed rule.
pub fn flush_conntrack(netns: &str) -> Result<(), LabError> {
    let output = Command::new("ip")
        .args(["netns", "exec", netns, "conntrack", "-F"])
        .stdin(Stdio::null())
        .output()
        .map_err(io_error("cannot run `conntrack -F`"))?;
    // conntrack exits 1 when the table was empty already.
    if output.status.success() || output.status.code() == Some(1) {
        return Ok(());
    }
    Err(LabError::Command {
        command: format!("ip netns exec {netns} conntrack -F"),
        stderr: first_lines(&output.stderr),
    })
}

fn run(program: &str, args: &[&str], input: Option<&str>) -> Result<(), LabError> {
    let command_line = format!("{program} {}", args.join(" "));
    let mut child = Command::new(program)
        .args(args)
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io_error(format!("cannot run `{command_line}`")))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(text.as_bytes()).map_err(io_error(format!("cannot feed `{command_line}`")))?;
    }
    let output = child.wait_with_output().map_err(io_error(format!("cannot run `{command_line}`")))?;
    if output.status.success() {
        return Ok(());
    }
    Err(LabError::Command { command: command_line, stderr: first_lines(&output.stderr) })
}

fn first_lines(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines().take(6).collect::<Vec<_>>().join("; ")
}

fn start_supervisor(name: &str, command: &[String]) -> Result<(), LabError> {
    use std::os::unix::process::CommandExt;
    let dir = state_dir(name);
    let log =
        File::create(dir.join("supervisor.log")).map_err(io_error("cannot create the supervisor log"))?;
    let (program, args) = command.split_first().ok_or_else(|| LabError::Supervisor("no command".into()))?;
    // A process group of its own: it outlives `up` and a Ctrl-C of it.
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .process_group(0)
        .spawn()
        .map_err(io_error("cannot start the supervisor"))?;
    let start = Instant::now();
    let ready = dir.join("supervisor.ready");
    while start.elapsed() < SUPERVISOR_START {
        if ready.exists() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = fs::read(dir.join("supervisor.log")).unwrap_or_default();
            return Err(LabError::Supervisor(format!("it exited ({status}): {}", first_lines(&log))));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(LabError::Supervisor("it did not listen in time".into()))
}

/// The namespaces of lab `name` that exist now.
fn existing_namespaces(name: &str) -> impl Iterator<Item = String> {
    let prefix = netns_prefix(name);
    fs::read_dir(crate::netns::NETNS_DIR)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(move |file| file.starts_with(&prefix))
}

/// What `down` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DownReport {
    /// The lab.
    pub name: String,
    /// Namespaces deleted.
    pub namespaces: usize,
    /// Whether a supervisor was stopped.
    pub supervisor: bool,
}

/// Tears lab `name` down; a lab that is not there is not an error (down is
/// idempotent), an invalid name is.
pub fn down(name: &str) -> Result<DownReport, LabError> {
    crate::topology::check_name(name)
        .map_err(|e| LabError::State { name: name.to_owned(), reason: e.to_string() })?;
    check_environment()?;
    let dir = state_dir(name);
    let lock = if dir.exists() { Some(lock(name, LOCK_WAIT)?) } else { None };
    let supervisor = stop_supervisors(name);
    let intent = fs::read_to_string(dir.join("intent.log")).unwrap_or_default();
    let mut namespaces: Vec<String> =
        intent.lines().filter_map(|line| line.strip_prefix("netns ")).map(str::to_owned).collect();
    namespaces.extend(existing_namespaces(name));
    namespaces.sort();
    namespaces.dedup();
    let existing: Vec<String> = namespaces.into_iter().filter(|n| crate::netns::path(n).exists()).collect();
    if !existing.is_empty() {
        let batch: String = existing.iter().map(|n| format!("netns del {n}\n")).collect();
        run("ip", &["-force", "-batch", "-"], Some(&batch))?;
    }
    remove_etc_files(name, &intent)?;
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(io_error(format!("cannot remove {}", dir.display())))?;
    }
    drop(lock);
    Ok(DownReport { name: name.to_owned(), namespaces: existing.len(), supervisor })
}

/// Removes the lab's `/etc/netns/kr-<name>-…` directories: those the
/// intent log names and any other with the lab's prefix (the log may end
/// before a directory it names was made, never after).
fn remove_etc_files(name: &str, intent: &str) -> Result<(), LabError> {
    let prefix = netns_prefix(name);
    let mut dirs: Vec<String> =
        intent.lines().filter_map(|line| line.strip_prefix("etc ")).map(str::to_owned).collect();
    dirs.extend(
        fs::read_dir(ETC_NETNS_DIR)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| entry.file_name().into_string().ok()),
    );
    dirs.sort();
    dirs.dedup();
    // Only the lab's own names: never a path, never another lab's.
    for dir in dirs.iter().filter(|d| d.starts_with(&prefix) && !d.contains('/') && !d.contains("..")) {
        let path = Path::new(ETC_NETNS_DIR).join(dir);
        match fs::remove_dir_all(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(LabError::Io {
                    context: format!("cannot remove {}", path.display()),
                    source: error,
                })
            }
        }
    }
    Ok(())
}

/// The names of every lab with a state directory or namespaces.
pub fn labs() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(STATE_DIR)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| crate::topology::check_name(n).is_ok())
        .collect();
    names.sort();
    names
}

/// The state of lab `name`.
pub fn read_state(name: &str) -> Result<State, LabError> {
    // The name becomes a path: refuse anything but a lab name.
    crate::topology::check_name(name)
        .map_err(|e| LabError::State { name: name.to_owned(), reason: e.to_string() })?;
    let path = state_dir(name).join("state.json");
    let text = fs::read(&path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => LabError::NotFound(name.to_owned()),
        _ => LabError::Io { context: format!("cannot read {}", path.display()), source: e },
    })?;
    serde_json::from_slice(&text)
        .map_err(|e| LabError::State { name: name.to_owned(), reason: e.to_string() })
}

/// The supervisor's command-line marker: `lab supervise NAME` as NUL-separated words.
fn supervisor_marker(name: &str) -> Vec<u8> {
    format!("lab\0supervise\0{name}\0").into_bytes()
}

/// Whether lab `name`'s supervisor runs.
pub fn supervisor_running(name: &str) -> bool {
    !supervisor_pids(name).is_empty()
}

/// The processes that are lab `name`'s supervisor, by their command line
/// (`kubereach lab supervise NAME`): found even when `up` died before
/// writing the pid file.
fn supervisor_pids(name: &str) -> Vec<i32> {
    let marker = supervisor_marker(name);
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            cmdline.windows(marker.len()).any(|w| w == marker.as_slice())
        })
        .collect()
}

fn stop_supervisors(name: &str) -> bool {
    let pids = supervisor_pids(name);
    for &pid in &pids {
        // SAFETY: kill with a pid we just read and a valid signal.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    // Bounded wait: the namespaces are freed only once its sockets close.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2)
        && pids.iter().any(|pid| Path::new(&format!("/proc/{pid}")).exists())
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    !pids.is_empty()
}
