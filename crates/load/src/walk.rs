//! The walk of a directory given with `-f`: which of its entries are read
//! as manifests, and a diagnostic for every entry that is not read.

use std::path::{Path, PathBuf};

use kubereach_core::Diagnostic;

use crate::location;

/// The manifest files under the directory `dir`, recursively, sorted by
/// path; every entry left out for a reason the user may not expect (a link
/// not followed, a FIFO, an entry that cannot be read) is a diagnostic.
pub(crate) fn manifest_files(dir: &Path, builder: &mut dyn crate::kinds::Sink) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut walk = Walk { root: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned()), builder };
    walk.directory(dir, &mut files);
    files
}

/// A walk of a directory given with `-f`, as kubectl's (`filepath.Walk`):
/// symbolic links to directories are not entered, and entries that are not
/// regular files (a FIFO would block the read forever, a device never end)
/// are skipped; each skip is a warning. A symbolic link to a file outside
/// the directory is not read either: a manifest tree from a pull request
/// must not make kubereach read `~/.kube/config`. Named with `-f`, any of
/// them is read.
struct Walk<'a> {
    /// The directory given, canonical.
    root: PathBuf,
    builder: &'a mut dyn crate::kinds::Sink,
}

impl Walk<'_> {
    /// Adds the manifest files under `dir` to `files`, recursively, sorted
    /// by path. Hidden entries (`.git`) are not entered. A directory, or an
    /// entry of one, that cannot be read is an error naming it, and the
    /// walk goes on: a manifest silently left out would change the answer
    /// without a word.
    fn directory(&mut self, dir: &Path, files: &mut Vec<PathBuf>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => {
                self.error(dir, format!("cannot read directory: {error}"));
                return;
            }
        };
        let mut readable = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => readable.push(entry),
                Err(error) => self.error(dir, format!("cannot read an entry of this directory: {error}")),
            }
        }
        readable.sort_by_key(std::fs::DirEntry::path);
        for entry in readable {
            if entry.file_name().to_str().is_some_and(|n| n.starts_with('.')) {
                continue;
            }
            self.entry(&entry.path(), entry.file_type(), files);
        }
    }

    /// Adds the entry `path` of type `file_type` (as the directory listing
    /// gave it) to `files`, enters it, or says why not.
    fn entry(
        &mut self,
        path: &Path,
        file_type: std::io::Result<std::fs::FileType>,
        files: &mut Vec<PathBuf>,
    ) {
        let file_type = match file_type {
            Ok(file_type) => file_type,
            // Removed since the listing, or a file system that does not
            // give the type and then refuses `lstat`.
            Err(error) => return self.error(path, format!("cannot read: {error}")),
        };
        if file_type.is_dir() {
            self.directory(path, files);
        } else if is_manifest(path) || (file_type.is_symlink() && path.is_dir()) {
            if let Some(skipped) = self.skipped(path, file_type) {
                self.builder.diagnostic(Diagnostic::warning(location(Some(path)), skipped));
            } else {
                files.push(path.to_owned());
            }
        }
    }

    fn error(&mut self, path: &Path, message: String) {
        self.builder.diagnostic(Diagnostic::error(location(Some(path)), message));
    }

    /// Why the walk does not read the manifest-named entry `path`, if it does not.
    fn skipped(&self, path: &Path, file_type: std::fs::FileType) -> Option<String> {
        const NAME_IT: &str = "name it with `-f` to read it";
        if file_type.is_file() {
            return None;
        }
        if !file_type.is_symlink() {
            return Some(format!("not a regular file (a FIFO, socket or device): skipped; {NAME_IT}"));
        }
        let target = std::fs::canonicalize(path).ok()?;
        if target.is_dir() {
            return Some(format!("a symbolic link to a directory: not followed; {NAME_IT}"));
        }
        if !target.starts_with(&self.root) {
            return Some(format!(
                "a symbolic link to a file outside the directory given: not read; {NAME_IT}"
            ));
        }
        if !std::fs::metadata(&target).is_ok_and(|m| m.is_file()) {
            return Some(format!(
                "a symbolic link to something other than a regular file: skipped; {NAME_IT}"
            ));
        }
        None
    }
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubereach_core::ClusterBuilder;

    #[test]
    fn an_entry_whose_type_cannot_be_read_is_an_error_naming_it() {
        // `DirEntry::file_type` fails when the entry is gone between the
        // listing and its `lstat`; no test can time that, so the walk's
        // step for one entry is given the error directly.
        let mut builder = ClusterBuilder::new();
        let mut walk = Walk { root: PathBuf::from("manifests"), builder: &mut builder };
        let mut files = Vec::new();
        let gone = std::io::Error::from(std::io::ErrorKind::NotFound);
        walk.entry(Path::new("manifests/gone.yaml"), Err(gone), &mut files);
        assert!(files.is_empty());
        let cluster = builder.build();
        let [diagnostic] = cluster.diagnostics() else { panic!("{:?}", cluster.diagnostics()) };
        assert_eq!(diagnostic.to_string(), "manifests/gone.yaml: error: cannot read: entity not found");
    }

    #[test]
    fn manifests_are_found_sorted_and_hidden_entries_left_out() {
        let dir = std::env::temp_dir().join(format!("kubereach-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("b/.git")).unwrap();
        for file in ["b/pod.yaml", "a.json", "b/.git/config.yaml", "notes.txt", ".hidden.yaml"] {
            std::fs::write(dir.join(file), "").unwrap();
        }
        let mut builder = ClusterBuilder::new();
        let files = manifest_files(&dir, &mut builder);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(files, [dir.join("a.json"), dir.join("b/pod.yaml")]);
        assert!(builder.build().diagnostics().is_empty());
    }
}
