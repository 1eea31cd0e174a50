//! The files of a directory read, parsed and typed on several threads; the
//! builder takes each file's objects and diagnostics in path order, so the
//! result is the same as reading them one after the other.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::kinds::Recorded;
use crate::progress::FileProgress;
use crate::LoadOptions;

/// At most this many parsing threads, whatever the machine has.
const MAX_THREADS: usize = 8;

/// Parsed files waiting for the builder, at most: bounds the memory held
/// when the builder falls behind the parsers.
const MAX_AHEAD: usize = 64;

/// Loads `files` into `builder`, in their order.
pub(crate) fn load_files(
    files: &[PathBuf],
    options: &LoadOptions,
    builder: &mut impl crate::kinds::Sink,
    progress: &mut FileProgress,
) {
    let threads = if small(files) {
        1
    } else {
        std::thread::available_parallelism().map_or(1, usize::from).min(MAX_THREADS).min(files.len())
    };
    if threads <= 1 {
        // One buffer for every file: memory freshly obtained from the
        // system for each one costs a page fault per page.
        let mut buffer = Vec::new();
        for file in files {
            progress.file();
            crate::load_file(file, options, builder, &mut buffer);
        }
        return;
    }
    let queue =
        Queue { next: AtomicUsize::new(0), done: Mutex::new(Done::default()), changed: Condvar::new() };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| queue.work(files, options));
        }
        for index in 0..files.len() {
            // A parser's panic (a bug: input never panics) goes on here, where
            // it would have happened without threads, instead of a wait for
            // a file that never comes.
            let recorded = queue.take(index).unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            progress.file();
            recorded.replay(builder);
        }
    });
}

/// Whether `files` are too little text to pay for starting threads: a
/// few hundred KiB parse in a few milliseconds, about what starting the
/// threads and handing the files over costs. A file that cannot be read
/// counts as nothing here; reading it reports the error.
fn small(files: &[PathBuf]) -> bool {
    let mut bytes: u64 = 0;
    for file in files {
        bytes += std::fs::metadata(file).map_or(0, |m| m.len());
        if bytes > SMALL_INPUT {
            return false;
        }
    }
    true
}

/// Input at most this large (bytes in all) is parsed on the calling thread.
const SMALL_INPUT: u64 = 512 * 1024;

/// Files handed out by index; results kept by index until the builder takes them.
struct Queue {
    next: AtomicUsize,
    done: Mutex<Done>,
    changed: Condvar,
}

#[derive(Default)]
struct Done {
    /// Results by file index, taken out by the builder.
    results: std::collections::BTreeMap<usize, std::thread::Result<Recorded>>,
    /// The index the builder waits for next.
    taken: usize,
}

impl Queue {
    fn work(&self, files: &[PathBuf], options: &LoadOptions) {
        let mut buffer = Vec::new();
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = files.get(index) else { return };
            // Wait while too far ahead of the builder.
            let mut done = self.done.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            while index >= done.taken + MAX_AHEAD {
                done = self.changed.wait(done).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            drop(done);
            let recorded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut recorded = Recorded::default();
                crate::load_file(file, options, &mut recorded, &mut buffer);
                recorded
            }));
            let mut done = self.done.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            done.results.insert(index, recorded);
            self.changed.notify_all();
        }
    }

    /// The result of file `index`, once parsed.
    fn take(&self, index: usize) -> std::thread::Result<Recorded> {
        let mut done = self.done.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if let Some(recorded) = done.results.remove(&index) {
                done.taken = index + 1;
                self.changed.notify_all();
                return recorded;
            }
            done = self.changed.wait(done).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{load, load_str, Input};
    use kubereach_core::ClusterBuilder;

    /// Input up to the threshold (a file that cannot be read counting as
    /// nothing) is parsed without threads; one byte more, over all files, is not.
    #[test]
    fn a_small_input_is_small() {
        let file = std::env::temp_dir().join(format!("kubereach-small-{}.yaml", std::process::id()));
        std::fs::write(&file, "kind: Namespace\n").unwrap();
        let missing = file.with_extension("missing");
        assert!(small(&[file.clone(), missing]));
        let large = file.with_extension("large.yaml");
        std::fs::write(&large, vec![b'#'; usize::try_from(SMALL_INPUT).unwrap()]).unwrap();
        assert!(!small(&[file.clone(), large.clone()]), "the threshold counts every file together");
        std::fs::remove_file(&large).unwrap();
        std::fs::remove_file(&file).unwrap();
    }

    /// A directory of files whose diagnostics depend on their order
    /// (duplicates replace earlier definitions) loads as the files would one
    /// by one, in path order, whichever thread parses which file.
    #[test]
    fn threads_give_the_result_of_reading_the_files_in_order() {
        let dir = std::env::temp_dir().join(format!("kubereach-parallel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut files = Vec::new();
        for index in 0..150 {
            let text = match index % 5 {
                0 => format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: svc{}\n  namespace: ns\nspec:\n  selector:\n    app: a\n  ports:\n    - port: 80\n", index % 7),
                1 => "kind: [\n".to_owned(),
                2 => format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns{index}\n---\nkind: Widget\n"),
                3 => format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: ns\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n# {index}\n"),
                _ => format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d{index}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: a}}\n  template:\n    metadata:\n      labels: {{app: a}}\n    spec:\n      containers: [{{name: c, image: i, ports: [{{containerPort: 80}}]}}]\n"),
            };
            // A trailing comment makes the directory large enough for threads.
            let text = format!("{text}# {}\n", "x".repeat(4096));
            let path = dir.join(format!("{index:03}.yaml"));
            std::fs::write(&path, &text).unwrap();
            files.push((path, text));
        }
        let paths: Vec<PathBuf> = files.iter().map(|(path, _)| path.clone()).collect();
        assert!(!small(&paths));
        let parallel = load(&[Input::Path(dir.clone())], &LoadOptions::new());
        let mut builder = ClusterBuilder::new();
        for (path, text) in &files {
            load_str(Some(&path.display().to_string()), text, &mut builder);
        }
        let sequential = builder.build();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(parallel.diagnostics().len() > 60, "{:?}", parallel.diagnostics());
        assert_eq!(parallel.diagnostics(), sequential.diagnostics());
        assert_eq!(parallel.skipped_kinds(), sequential.skipped_kinds());
        let names = |cluster: &kubereach_core::Cluster| -> Vec<String> {
            cluster.pods().iter().map(|pod| format!("{}/{}", pod.namespace, pod.name)).collect()
        };
        assert_eq!(names(&parallel), names(&sequential));
        assert_eq!(parallel.services().len(), 7);
        assert_eq!(parallel.services(), sequential.services());
        assert_eq!(parallel.network_policies(), sequential.network_policies());
    }
}
