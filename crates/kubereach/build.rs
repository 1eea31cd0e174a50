//! Links the release `kubereach` binary on Linux with glibc as a
//! position-dependent executable (`-no-pie`).
//!
//! A position-independent executable is relocated by the dynamic loader at
//! every start: about 33,000 relative relocations, written into the 570 KB
//! of `.data.rel.ro`, whose pages are then copied (150 page faults). That
//! is about 0.6 ms of every command, a twentieth of `matrix` on a small
//! cluster (docs/benchmarks.md, "Small clusters: where the milliseconds
//! go"). Without PIE the linker resolves them once, at build time. The
//! price is that the binary's own code and data are at a fixed address
//! (shared libraries, heap and stack are still randomised).
//!
//! Only the release profile: debug and test builds (what CI builds) are
//! linked as before. Only glibc targets: musl builds (the container image)
//! are static already, and other systems' linkers do not take the flag.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    let release = std::env::var("PROFILE").is_ok_and(|profile| profile == "release");
    if linux_gnu && release {
        println!("cargo::rustc-link-arg-bin=kubereach=-no-pie");
    }
}
