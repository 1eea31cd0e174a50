//! Writing the generated files and counting what they hold.

use std::fs;
use std::path::Path;

use crate::yaml::Yaml;

/// What was written, for the summary line.
#[derive(Default)]
pub(crate) struct Totals {
    pub(crate) files: u64,
    pub(crate) bytes: u64,
    pub(crate) pods: u64,
    pub(crate) workloads: u64,
    pub(crate) daemonsets: u64,
    pub(crate) services: u64,
    pub(crate) ingresses: u64,
    pub(crate) policies: u64,
}

pub(crate) fn write_file(dir: &Path, name: &str, y: &Yaml, totals: &mut Totals) -> std::io::Result<()> {
    fs::write(dir.join(name), &y.buf)?;
    totals.files += 1;
    totals.bytes += y.len() as u64;
    Ok(())
}
