// SPDX-License-Identifier: Apache-2.0 OR MIT
//! Running the hypervisor under QEMU from tests: build once, boot with a
//! time limit, capture the console.

use std::io::Read;
use std::os::unix::process::CommandExt;
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

/// Kill a run and everything it started (scripts/run and its QEMU share the
/// process group the run was started in). The `--` matters: `kill -KILL
/// -PGID` returns 0 but kills nothing, which left QEMUs that outlive their
/// test (the parked board's, two a run) spinning on the host's CPUs.
fn kill_group(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{}", child.id()))
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Boot `scripts/run ARGS` and wait at most `limit`.
pub fn boot(args: &[&str], limit: Duration) -> Run {
    build();
    script("run", args, limit)
}

/// Run `scripts/NAME ARGS` and wait at most `limit`; its stdout and then
/// its stderr in [`Run::output`].
pub fn script(name: &str, args: &[&str], limit: Duration) -> Run {
    let start = Instant::now();
    let mut child = Command::new(root().join("scripts").join(name))
        .args(args)
        .process_group(0)
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
            kill_group(&mut child);
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

/// An interactive run: type into the guest's console and watch it.
pub struct Console {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    out: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Console {
    /// Start `scripts/run ARGS` with the console on a pipe.
    pub fn start(args: &[&str]) -> Console {
        build();
        let mut child = Command::new(root().join("scripts/run"))
            .args(args)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Console { child, stdin, out }
    }

    /// Everything printed so far.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    /// Wait until the output after byte `from` contains `needle`; the
    /// position after it, or `None` at the time limit.
    pub fn wait_for(&self, needle: &str, from: usize, limit: Duration) -> Option<usize> {
        let start = Instant::now();
        while start.elapsed() < limit {
            let out = self.output();
            if let Some(i) = out.get(from..).and_then(|s| s.find(needle)) {
                return Some(from + i + needle.len());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Type `text` as a person would: one byte at a time.
    pub fn type_text(&mut self, text: &str) {
        use std::io::Write;
        for b in text.bytes() {
            self.stdin.write_all(&[b]).unwrap();
            self.stdin.flush().unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Paste `bytes` at once: the guest's UART takes them as fast as its
    /// FIFO drains (QEMU reads no more than the UART can hold).
    pub fn paste(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Wait for the run to end; its exit status (`None`: killed at `limit`).
    pub fn finish(mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            if start.elapsed() > limit {
                kill_group(&mut self.child);
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// QEMU's own device tree for its virt board with GICv`gic` (3: `-cpu max`,
/// 2: `-cpu cortex-a57`) and `smp` CPUs, dumped to
/// `target/system-tests/NAME`, for a test to edit with `fdtput`.
pub fn dump_virt_dtb(name: &str, gic: u32, smp: usize) -> PathBuf {
    let dir = root().join("target/system-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let dtb = dir.join(name);
    let cpu = if gic == 2 { "cortex-a57" } else { "max" };
    let st = Command::new("qemu-system-aarch64")
        .arg("-M")
        .arg(format!(
            "virt,virtualization=on,gic-version={gic},dumpdtb={}",
            dtb.display()
        ))
        .args([
            "-cpu",
            cpu,
            "-smp",
            &smp.to_string(),
            "-m",
            "1G",
            "-display",
            "none",
            // Two UARTs, as scripts/run gives: the hypervisor's and the guest's.
            "-serial",
            "null",
            "-serial",
            "null",
        ])
        .status()
        .expect("qemu-system-aarch64 (Debian package qemu-system-arm)");
    assert!(st.success(), "QEMU could not dump its device tree");
    dtb
}
