//! Which field lines a document records, and the compact buffer they are
//! kept in (one string of paths and a vector of `(start, end, line)`).

use super::to_u32;

/// Field lines are recorded down to this many path segments.
pub(super) const MAX_FIELD_SEGMENTS: usize = 10;

/// Paths below which no field line is recorded (large, free-form or
/// irrelevant content).
pub(super) const UNRECORDED_PATHS: [&str; 6] =
    ["status", "metadata.managedFields", "metadata.annotations", "data", "stringData", "binaryData"];

/// Fields of a pod spec whose contents are bulky and never the subject of a
/// finding: their own line is recorded, not the lines inside them. A type
/// error inside one points at the field's line and names the full path.
pub(super) const BULKY_FIELDS: [&str; 14] = [
    "env",
    "envFrom",
    "resources",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "volumeMounts",
    "volumes",
    "securityContext",
    "affinity",
    "tolerations",
    "lifecycle",
    "args",
    "command",
];

/// Field paths and their lines, sorted by path, each path once: the paths
/// are slices of one string, so a document costs two allocations for them
/// rather than one per field.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    pub(super) text: String,
    /// `(start, end, line)`: the path is `text[start..end]`.
    pub(super) entries: Vec<(u32, u32, u32)>,
}

impl Fields {
    pub(super) fn root(line: u32) -> Fields {
        Fields { text: String::new(), entries: vec![(0, 0, line)] }
    }

    pub(super) fn push(&mut self, path: &str, line: u32) {
        let start = to_u32(self.text.len());
        self.text.push_str(path);
        self.entries.push((start, to_u32(self.text.len()), line));
    }

    /// `(path, line)` pairs in path order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        self.entries.iter().map(|&(start, end, line)| (&self.text[start as usize..end as usize], line))
    }

    /// Sorts by path and keeps one line per path: the last one recorded when
    /// `keep_last`, else any (the paths are then distinct but for odd keys).
    pub(super) fn sort(&mut self, keep_last: bool) {
        let text = &self.text;
        let path = |&(start, end, _): &(u32, u32, u32)| &text[start as usize..end as usize];
        if keep_last {
            self.entries.reverse();
            self.entries.sort_by(|a, b| path(a).cmp(path(b)));
        } else {
            self.entries.sort_unstable_by(|a, b| path(a).cmp(path(b)));
        }
        self.entries.dedup_by(|later, earlier| path(later) == path(earlier));
    }
}
