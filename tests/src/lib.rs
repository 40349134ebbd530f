// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Running the hypervisor under QEMU from tests: build once, boot with a
//! time limit, capture the console.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The repository's top folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Build the image once per test binary (scripts/build is quiet and
/// incremental).
pub fn build() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let st = Command::new(root().join("scripts/build"))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "scripts/build failed");
    });
}

/// What one QEMU run produced.
#[derive(Debug)]
pub struct Run {
    pub output: String,
    /// QEMU's exit status; `None` if it had to be killed at the time limit.
    pub status: Option<i32>,
    pub elapsed: Duration,
}

impl Run {
    /// Lines of the console output containing `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<&str> {
        self.output.lines().filter(|l| l.contains(needle)).collect()
    }

    pub fn has(&self, needle: &str) -> bool {
        self.output.contains(needle)
    }
}

/// Boot `scripts/run ARGS` and wait at most `limit`.
pub fn boot(args: &[&str], limit: Duration) -> Run {
    build();
    let start = Instant::now();
    let mut child = Command::new(root().join("scripts/run"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    let output = String::from_utf8_lossy(&reader.join().unwrap()).into_owned() + &err;
    Run {
        output,
        status,
        elapsed: start.elapsed(),
    }
}
