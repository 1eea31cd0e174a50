use std::path::PathBuf;

use kubereach_core::{Cluster, ClusterBuilder};

use super::*;
use crate::{load, load_raw, Input, LoadOptions};

/// Every manifest of the repository's tests: every kind the model reads,
/// broken documents, duplicates, unknown kinds, `List`s, JSON, UTF-16.
fn every_fixture() -> Vec<Input> {
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    vec![Input::Path(crates.join("kubereach/tests")), Input::Path(crates.join("load/tests/fixtures"))]
}

fn snapshot_bytes(inputs: &[Input], env_values: EnvValues) -> Vec<u8> {
    BinarySnapshot::from_inputs(inputs, &LoadOptions::new(), env_values).to_bytes().expect("encodes")
}

/// A snapshot in parts of about `part_size` bytes (many parts for the
/// fixtures, as a large cluster has with the real size).
fn snapshot_in_parts(inputs: &[Input], part_size: usize) -> Vec<u8> {
    let mut snapshot = BinarySnapshot::new(EnvValues::Kept);
    snapshot.part_size = part_size;
    crate::load_inputs_into(inputs, &LoadOptions::new(), &mut snapshot);
    snapshot.to_bytes().expect("encodes")
}

/// The contents of a snapshot's parts (the file table first), checked.
fn parts_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut buffer = Vec::new();
    let parts = header::decode(bytes).expect("a snapshot");
    parts.into_iter().map(|part| header::read_part(bytes, part, &mut buffer).unwrap().to_vec()).collect()
}

/// A snapshot of `parts`, each with its checksum made to match (a crafted file).
fn sealed(parts: &[Vec<u8>]) -> Vec<u8> {
    header::encode(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>())
}

fn load_snapshot(bytes: &[u8]) -> Cluster {
    let mut builder = ClusterBuilder::new();
    load_raw(Some("cluster.snapshot"), bytes, &mut builder);
    builder.build()
}

/// The whole model (objects with their origins, field lines and columns,
/// pods, workloads, diagnostics) is the same from the snapshot as from the
/// manifests it was made of.
#[test]
fn a_snapshot_loads_as_the_manifests_it_was_made_of() {
    let inputs = every_fixture();
    let direct = load(&inputs, &LoadOptions::new());
    assert!(direct.diagnostics().len() > 100, "the fixtures have broken documents");
    assert!(!direct.gateway_api().is_empty() && !direct.cilium_policies().is_empty());
    assert!(!direct.calico_objects().is_empty() && !direct.unmodelled_routes().is_empty());
    let replayed = load_snapshot(&snapshot_bytes(&inputs, EnvValues::Kept));
    assert_eq!(format!("{replayed:#?}"), format!("{direct:#?}"));
}

#[test]
fn secret_data_and_environment_values_are_never_written() {
    let dir = std::env::temp_dir().join(format!("kubereach-binary-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("app.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"password\":\"aHVudGVyMg==\"}}'\nstringData:\n  password: hunter2\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: {app: a}\n  template:\n    metadata:\n      labels: {app: a}\n    spec:\n      containers:\n        - name: c\n          image: i\n          env:\n            - name: API_KEY\n              value: sk-live-12345\n",
    )
    .unwrap();
    let inputs = [Input::Path(manifest)];
    let dropped = snapshot_bytes(&inputs, EnvValues::Dropped);
    let kept = snapshot_bytes(&inputs, EnvValues::Kept);
    std::fs::remove_dir_all(&dir).unwrap();
    let holds = |bytes: &[u8], text: &str| bytes.windows(text.len()).any(|w| w == text.as_bytes());
    for secret in ["hunter2", "aHVudGVyMg", "last-applied"] {
        assert!(!holds(&dropped, secret) && !holds(&kept, secret), "{secret} written");
    }
    assert!(!holds(&dropped, "sk-live-12345") && holds(&dropped, "API_KEY"));
    assert!(holds(&kept, "sk-live-12345"), "kept when asked");
    let cluster = load_snapshot(&dropped);
    assert_eq!((cluster.secrets().len(), cluster.workloads().len()), (1, 1));
}

/// Every way a file can be cut short or damaged is an error naming the
/// file, never a panic, and never an object read from damaged bytes.
#[test]
fn truncated_or_damaged_snapshots_are_errors_naming_the_file() {
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bytes =
        snapshot_bytes(&[Input::Path(crates.join("kubereach/tests/fixtures/model"))], EnvValues::Kept);
    assert!(!load_snapshot(&bytes).services().is_empty());
    let step = (bytes.len() / 500).max(1);
    for cut in (header::MAGIC_PREFIX.len()..bytes.len()).step_by(step) {
        let cluster = load_snapshot(&bytes[..cut]);
        assert!(cluster.services().is_empty(), "cut at {cut}");
        let [error] = cluster.diagnostics() else { panic!("cut at {cut}: {:?}", cluster.diagnostics()) };
        assert_eq!(error.location.file.as_deref(), Some("cluster.snapshot"));
    }
    for at in (header::MAGIC.len()..bytes.len()).step_by(step) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x20;
        let cluster = load_snapshot(&damaged);
        assert!(cluster.diagnostics().iter().any(|d| d.message.contains("re-create")), "byte {at}");
    }
}

/// Content whose checksum was made to match (a crafted file) is decoded
/// with every length checked: an error, never a panic or a huge allocation.
#[test]
fn crafted_content_is_an_error_not_a_panic() {
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bytes =
        snapshot_bytes(&[Input::Path(crates.join("kubereach/tests/fixtures/model"))], EnvValues::Kept);
    let parts = parts_of(&bytes);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for round in 0..400 {
        let mut crafted = parts.clone();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let part = &mut crafted[(seed >> 48) as usize % parts.len()];
        let at = (seed as usize) % part.len();
        part[at] = (seed >> 32) as u8;
        if round % 4 == 0 {
            part.truncate(at);
        }
        // A length prefix claiming 4 GiB: refused against what is left.
        if round % 7 == 0 && at + 5 <= part.len() {
            part[at..at + 5].copy_from_slice(&[0xdb, 0xff, 0xff, 0xff, 0xff]);
        }
        let _ = load_snapshot(&sealed(&crafted));
    }
    let cluster = load_snapshot(&header::encode(&[&[0x91, 0x01]]));
    assert!(cluster.diagnostics()[0].message.starts_with("a damaged kubereach snapshot"));
    // Bytes after a part's records, and a snapshot without a file table.
    let mut longer = parts.clone();
    longer[1].push(0xc0);
    let cluster = load_snapshot(&sealed(&longer));
    let [error] = cluster.diagnostics() else { panic!("{:?}", cluster.diagnostics()) };
    assert!(error.message.contains("part 1: bytes after its records"), "{}", error.message);
    let cluster = load_snapshot(&header::encode(&[]));
    assert!(cluster.diagnostics()[0].message.contains("no file table"));
}

/// A field-line table damaged inside a snapshot whose checksum was made to
/// match: the table is checked as it is read, so the snapshot is an error
/// naming the file and the table's fault, not a table with a wrong slice.
#[test]
fn a_damaged_field_line_table_is_an_error_naming_the_file() {
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = crates.join("kubereach/tests/fixtures/model/defaults.yaml");
    let bytes = snapshot_bytes(&[Input::Path(manifest.clone())], EnvValues::Kept);
    let direct = load(&[Input::Path(manifest)], &LoadOptions::new());
    let fields = &direct.services()[0].origin.fields;
    assert!(fields.len() > 1);
    let table = rmp_serde::to_vec(&**fields).unwrap();
    let mut parts = parts_of(&bytes);
    let content = &mut parts[1];
    let at = content
        .windows(table.len())
        .position(|window| window == table)
        .expect("the table is written as held");
    // The first entry's shared prefix (bytes 8–9 of the last 12 × n bytes).
    let first_entry = at + table.len() - fields.len() * 12;
    content[first_entry + 8] = 1;
    let cluster = load_snapshot(&sealed(&parts));
    let [error] = cluster.diagnostics() else { panic!("{:?}", cluster.diagnostics()) };
    assert_eq!(error.location.file.as_deref(), Some("cluster.snapshot"));
    assert!(error.message.contains("field lines: entry 0: a prefix of 1 bytes"), "{}", error.message);
    // Nothing is handed over from a part that fails to decode.
    assert!(cluster.services().is_empty());
}

/// Many parts, decoded on several threads, give the model the manifests
/// give, in their order (duplicates and diagnostics depend on it); the
/// snapshot is read from a file a part at a time as from bytes in memory.
#[test]
fn a_snapshot_in_many_parts_loads_as_the_manifests_from_a_file_too() {
    let inputs = every_fixture();
    let direct = format!("{:#?}", load(&inputs, &LoadOptions::new()));
    let bytes = snapshot_in_parts(&inputs, 2048);
    assert!(header::decode(&bytes[..]).unwrap().len() > 20, "many parts");
    assert_eq!(format!("{:#?}", load_snapshot(&bytes)), direct);
    let path = std::env::temp_dir().join(format!("kubereach-binary-parts-{}.snapshot", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let from_file = load(&[Input::Path(path.clone())], &LoadOptions::new());
    std::fs::remove_file(&path).unwrap();
    assert_eq!(format!("{from_file:#?}"), direct);
}

/// A cut, a flipped byte in any part, or another format version in a
/// snapshot of many parts is one error naming the file, and no object at
/// all: parts read before the damaged one are not handed over.
#[test]
fn damage_in_any_part_gives_one_error_and_no_object() {
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bytes = snapshot_in_parts(&[Input::Path(crates.join("kubereach/tests/fixtures/model"))], 512);
    let parts = header::decode(&bytes[..]).unwrap();
    assert!(parts.len() > 4, "many parts");
    let only_error = |bytes: &[u8], expected: &str, what: &str| {
        let cluster = load_snapshot(bytes);
        assert!(cluster.services().is_empty() && cluster.network_policies().is_empty(), "{what}");
        let [error] = cluster.diagnostics() else { panic!("{what}: {:?}", cluster.diagnostics()) };
        assert_eq!(error.location.file.as_deref(), Some("cluster.snapshot"), "{what}");
        assert!(error.message.contains(expected), "{what}: {}", error.message);
    };
    for part in &parts {
        let end = (part.offset + part.length) as usize;
        only_error(&bytes[..end - 1], "a truncated kubereach snapshot", "cut");
        let mut flipped = bytes.clone();
        flipped[end - 1] ^= 0x01;
        only_error(&flipped, "does not match its checksum", "flipped");
    }
    let mut other = bytes.clone();
    other[header::MAGIC.len()] = 2;
    only_error(&other, "(format 2); this is kubereach", "format 2");
}
