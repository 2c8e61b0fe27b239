//! What the local mode tests share: the checked-in template and the debug binaries.

use std::path::{Path, PathBuf};

/// The template the stack crate's tests use (a `cdk synth` output).
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cloudformation/tests/fixtures/wsflow.template.json")
}

/// `target/debug`, where the functions' binaries are. They are other packages' binaries, which
/// `cargo test` does not build: `make test-rust` builds every binary first. Fails (rather than
/// skips) when one is missing.
pub fn debug_binaries() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's executable");
    let dir = exe
        .ancestors()
        .nth(2)
        .expect("target/debug/deps/<test>")
        .to_owned();
    for binary in ["queue-worker", "default-route", "wsflow"] {
        assert!(
            dir.join(binary).is_file(),
            "{} is missing: run `cargo build --workspace --bins` (make test-rust does) before these tests",
            dir.join(binary).display()
        );
    }
    dir
}
