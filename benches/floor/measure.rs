//! A child process's CPU and peak RSS, from wait4 through a small launcher (see [`launch`]).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What the kernel says a finished child process used.
pub struct Measured {
    pub user: f64,
    pub sys: f64,
    pub max_rss_kib: u64,
    pub wall: Duration,
    pub success: bool,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Measured {
    pub fn cpu(&self) -> f64 {
        self.user + self.sys
    }

    pub fn json(&self) -> Value {
        json!({
            "user_seconds": self.user,
            "sys_seconds": self.sys,
            "cpu_seconds": self.cpu(),
            "peak_rss_kib": self.max_rss_kib,
            "wall_seconds": self.wall.as_secs_f64(),
        })
    }
}

/// The first argument that makes this binary the launcher (see [`launch`]).
pub const LAUNCH: &str = "--launch-measured";

/// Runs `cmd` to the end through the launcher and reads back the rusage it recorded.
pub fn measure(cmd: Command) -> Measured {
    let usage_file = tempfile("rusage");
    let mut launcher = Command::new(std::env::current_exe().expect("own path"));
    launcher
        .arg(LAUNCH)
        .arg(&usage_file)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(Stdio::null());
    let started = Instant::now();
    let out = launcher.output().expect("run the launcher");
    let wall = started.elapsed();
    let usage: Value = serde_json::from_slice(&std::fs::read(&usage_file).expect("rusage file"))
        .expect("rusage JSON");
    std::fs::remove_file(&usage_file).ok();
    Measured {
        user: usage["user"].as_f64().unwrap(),
        sys: usage["sys"].as_f64().unwrap(),
        max_rss_kib: usage["max_rss_kib"].as_u64().unwrap(),
        wall,
        success: out.status.success(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The launcher: `LAUNCH FILE PROGRAM ARGS…` runs the program as its own child (stdio
/// inherited), writes that child's rusage from wait4 to FILE as JSON, and exits as it did.
///
/// Why a launcher: on Linux a process's peak RSS starts at its parent's, since exec folds the
/// replaced memory map's high-water mark into it. Spawned from the bench, whose heap holds the
/// last report it parsed, a 16 MiB process measured 39 MiB; spawned from this small process,
/// whose memory is the floor, it measures its own.
pub fn launch(args: &[String]) -> ! {
    let [file, program, rest @ ..] = args else {
        eprintln!("usage: {LAUNCH} FILE PROGRAM [ARGS…]");
        std::process::exit(2);
    };
    let child = Command::new(program).args(rest).spawn().expect("spawn");
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value of a plain C struct; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our own unwaited child; both pointers are to live locals. wait4
    // reaps it, so no zombie is left although `child` is never waited through std.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let record = json!({
        "user": seconds(usage.ru_utime),
        "sys": seconds(usage.ru_stime),
        "max_rss_kib": usage.ru_maxrss,
    });
    std::fs::write(file, record.to_string()).expect("write rusage");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        1
    };
    std::process::exit(code)
}

fn tempfile(what: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    std::env::temp_dir().join(format!("cidrwatch-bench-{}-{what}-{n}", std::process::id()))
}

/// Runs of one measurement (each must succeed): the run of median CPU, and the CPU range over
/// all of them. CPU moves by ±20% between runs on a shared two-core machine; one run's figure
/// is not a ratio's to lean on.
pub fn median(mut runs: Vec<Measured>) -> (Measured, (f64, f64)) {
    runs.sort_by(|a, b| a.cpu().total_cmp(&b.cpu()));
    let range = (runs[0].cpu(), runs[runs.len() - 1].cpu());
    let mid = runs.len() / 2;
    (runs.swap_remove(mid), range)
}
