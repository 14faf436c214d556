//! How many account-regions a scan runs at once: chosen as it runs, never a setting to tune
//! (`SCAN_CONCURRENCY` still overrides it).
//!
//! Two things set it. **Cost**: Lambda bills a tick's wall time, and a scan mostly waits on
//! AWS, so the pace runs as many at once as keep its one thread busy: starting at [`FLOOR`],
//! every [`WINDOW`] it reads the process's CPU time, and while the thread was idle more than a
//! quarter of the window with work held back, it runs a quarter more; busier than
//! [`BUSY_HIGH`], a tenth fewer (at 256 MB, a seventh of a vCPU, that is far fewer than at
//! 2 GB). **Time**: by
//! Little's law, `remaining` account-regions of `mean` seconds each finish in `left` seconds
//! with `remaining × mean / left` in flight; the pace never runs fewer than that aiming at
//! half the time left ([`HEADROOM`]), so a throttled stretch or a slow tail still ends
//! inside the period. The work grows as accounts are expanded, and `mean` is measured,
//! throttling's waits included. Where AWS throttles, each call backs off on its own, in retry
//! partitions per account-region and per service ([`super::patient`]): `mean` lengthens, and
//! the pace runs more account-regions at once, none of which draws on a throttled
//! account-region's bucket.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use futures::stream::{FuturesUnordered, Stream, StreamExt};
use tokio::time::Instant;

/// The fewest account-regions in flight: a small organization's tick ends in a few round
/// trips whatever its period.
pub const FLOOR: usize = 16;
/// The most: each holds an EC2 answer and a connection (on AWS, a TLS handshake), and past
/// this one thread spends more on the connections than the time saves.
pub const CEILING: usize = 512;
/// The time-driven floor aims to finish in the time left divided by this.
pub const HEADROOM: f64 = 2.0;
/// What an account-region is taken to need until one has finished: two round trips to a
/// region across the world (~0.3 s each) with room for an AssumeRole's share.
pub const FIRST_GUESS: Duration = Duration::from_millis(750);
/// The regions an account has enabled by default: what `Regions: [ALL]` is expected to
/// expand to before an account's own list is read.
pub const DEFAULT_REGIONS: usize = 17;
/// How often the pace reads how busy its thread was.
pub const WINDOW: Duration = Duration::from_millis(250);
/// Busy less than this share of a window, with work held back: run more at once.
pub const BUSY_LOW: f64 = 0.75;
/// Busy more than this: run fewer.
pub const BUSY_HIGH: f64 = 0.95;
/// Lambda's memory at one full vCPU: below it the function has that share of one.
const FULL_VCPU_MB: f64 = 1769.0;

/// Account-regions at once for `remaining` of them, each taking `mean`, to finish in half of
/// `left`: within [`FLOOR`] and [`CEILING`], and the ceiling once the time is gone.
pub fn at_once(remaining: usize, mean: Duration, left: Duration) -> usize {
    if left.is_zero() {
        return CEILING;
    }
    let want = HEADROOM * remaining as f64 * mean.as_secs_f64() / left.as_secs_f64();
    (want.ceil() as usize).clamp(FLOOR, CEILING)
}

/// The level after a window in which the thread was `busy` (0 to 1 of its CPU share) and the
/// level held work back (`binding`) or not.
pub fn next_level(level: usize, busy: f64, binding: bool) -> usize {
    if busy < BUSY_LOW && binding {
        (level + (level / 4).max(1)).min(CEILING)
    } else if busy > BUSY_HIGH {
        (level - level / 10).max(FLOOR)
    } else {
        level
    }
}

/// The process's CPU time so far, user and system (Linux's `/proc/self/stat`, in its clock
/// ticks of 10 ms; `None` elsewhere). The process's, not a thread's: the binary runs on one
/// thread, but a caller on a multi-threaded runtime may be resumed on another thread, whose
/// count is not the one read before (a thread's count read so went backwards, and panicked).
fn process_cpu() -> Option<Duration> {
    cpu_in_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// The user and system CPU time a `/proc/<pid>/stat` line says its process has spent.
pub fn cpu_in_stat(stat: &str) -> Option<Duration> {
    // The fields after the command's closing parenthesis: utime and stime are the 12th and
    // 13th of them, in clock ticks (100 a second on Linux).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

/// The share of one CPU the process has: on Lambda, its memory over 1,769 MB.
fn cpu_share() -> f64 {
    std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .ok()
        .and_then(|m| m.parse::<f64>().ok())
        .map_or(1.0, |mb| (mb / FULL_VCPU_MB).clamp(0.05, 1.0))
}

/// One scan's pace: what it knows of the work, how long each piece takes, how busy the
/// thread is.
#[derive(Debug)]
pub struct Pace {
    by: Instant,
    fixed: Option<usize>,
    clock: fn() -> Option<Duration>,
    share: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    expected: usize,
    started: usize,
    done: usize,
    /// The summed wall of the finished account-regions.
    spent: Duration,
    /// The cost-driven level, and the window it is judged over.
    level: usize,
    window_at: Instant,
    window_cpu: Option<Duration>,
    binding: bool,
    /// The most chosen at once, for the record.
    peak: usize,
}

/// What a paced scan did: account-regions, the most it ran at once, the mean of each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paced {
    pub scanned: usize,
    pub peak: usize,
    pub mean: Duration,
}

impl Pace {
    /// A scan to finish by `by`; `fixed` (`SCAN_CONCURRENCY`) overrides the choice.
    pub fn new(by: Instant, fixed: Option<usize>) -> Self {
        Self::with_clock(by, fixed, process_cpu)
    }

    /// The same, reading the CPU time spent so far from `clock`.
    pub fn with_clock(by: Instant, fixed: Option<usize>, clock: fn() -> Option<Duration>) -> Self {
        Pace {
            by,
            fixed,
            clock,
            share: cpu_share(),
            state: Mutex::new(State {
                expected: 0,
                started: 0,
                done: 0,
                spent: Duration::ZERO,
                level: FLOOR,
                window_at: Instant::now(),
                window_cpu: clock(),
                binding: false,
                peak: 0,
            }),
        }
    }

    /// `n` more account-regions are coming (an account listed, times its regions).
    pub fn more(&self, n: usize) {
        self.state.lock().unwrap().expected += n;
    }

    /// How many may run now, and whether `running` of them already fill it.
    fn room(&self, running: usize) -> bool {
        let mut s = self.state.lock().unwrap();
        let n = match self.fixed {
            Some(n) => n,
            None => {
                let mean = match s.done {
                    0 => FIRST_GUESS,
                    done => s.spent / done as u32,
                };
                let remaining = s.expected.max(s.started + 1) - s.done;
                let left = self.by.saturating_duration_since(Instant::now());
                s.level.max(at_once(remaining, mean, left))
            }
        };
        s.peak = s.peak.max(n);
        s.binding |= running >= n;
        running < n
    }

    /// One account-region finished after `took`; once a window has passed, the level
    /// follows how busy the thread was.
    fn finished(&self, took: Duration) {
        let mut s = self.state.lock().unwrap();
        s.done += 1;
        s.spent += took;
        let elapsed = s.window_at.elapsed();
        if elapsed < WINDOW {
            return;
        }
        let cpu = (self.clock)();
        if let (Some(now), Some(then)) = (cpu, s.window_cpu) {
            let spent = now.saturating_sub(then);
            let busy = spent.as_secs_f64() / (elapsed.as_secs_f64() * self.share);
            s.level = next_level(s.level, busy, s.binding);
        }
        (s.window_at, s.window_cpu, s.binding) = (Instant::now(), cpu, false);
    }

    /// Runs `work`'s futures, as many at once as the pace allows when each is pulled, and
    /// hands each output to `each` as it finishes (so a scan keeps no account-region's
    /// answer longer than it needs).
    pub async fn run<F, T>(&self, work: impl Stream<Item = F>, mut each: impl FnMut(T)) -> Paced
    where
        F: Future<Output = T>,
    {
        let mut work = std::pin::pin!(work.fuse());
        let mut running = FuturesUnordered::new();
        let mut exhausted = false;
        loop {
            let room = !exhausted && self.room(running.len());
            tokio::select! {
                next = work.next(), if room => match next {
                    Some(f) => {
                        self.state.lock().unwrap().started += 1;
                        running.push(timed(f));
                    }
                    None => exhausted = true,
                },
                Some((t, took)) = running.next(), if !running.is_empty() => {
                    self.finished(took);
                    each(t);
                }
                else => break,
            }
        }
        let s = self.state.lock().unwrap();
        Paced {
            scanned: s.done,
            peak: s.peak,
            mean: s.spent.checked_div(s.done as u32).unwrap_or_default(),
        }
    }
}

async fn timed<T>(f: impl Future<Output = T>) -> (T, Duration) {
    let t0 = Instant::now();
    let out = f.await;
    (out, t0.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    /// The process's CPU time reads, and grows with work.
    #[test]
    fn the_cpu_clock_reads_and_grows() {
        let before = process_cpu().expect("/proc/self/stat");
        let mut x = 0u64;
        while process_cpu().unwrap() < before + Duration::from_millis(30) {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        assert!(x > 0);
    }

    /// A clock that goes backwards (a thread's count read on another thread) is no panic.
    #[tokio::test]
    async fn a_clock_that_goes_back_is_read_as_idle() {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        let pace = Pace::with_clock(Instant::now() + S(60), None, || {
            Some(Duration::from_secs(100 - CALLS.fetch_add(1, SeqCst) as u64))
        });
        tokio::time::sleep(WINDOW).await;
        pace.finished(PIECE);
        assert_eq!(pace.state.lock().unwrap().done, 1);
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    /// 10,000 accounts × 17 regions at two round trips of 100 ms in a 4-minute budget: 284
    /// at once; the same work at AWS's farther regions, or in a minute, meets the ceiling.
    #[test]
    fn the_work_and_the_time_set_the_fewest_at_once() {
        let largest = 10_000 * 17;
        assert_eq!(at_once(largest, Duration::from_millis(200), S(240)), 284);
        assert_eq!(
            at_once(largest, Duration::from_millis(600), S(240)),
            CEILING
        );
        assert_eq!(at_once(largest, Duration::from_millis(200), S(60)), CEILING);
        // A 1,000-account organization in 4 regions.
        assert_eq!(at_once(4_000, Duration::from_millis(200), S(240)), FLOOR);
        assert_eq!(at_once(4_000, Duration::from_millis(200), S(20)), 80);
        // One account, and a budget already spent.
        assert_eq!(at_once(1, S(1), S(240)), FLOOR);
        assert_eq!(at_once(1, S(1), Duration::ZERO), CEILING);
    }

    #[test]
    fn an_idle_thread_runs_more_and_a_busy_one_fewer() {
        assert_eq!(next_level(64, 0.3, true), 80);
        // Idle, but nothing was held back: more at once would change nothing.
        assert_eq!(next_level(64, 0.3, false), 64);
        assert_eq!(next_level(64, 0.9, true), 64);
        assert_eq!(next_level(64, 1.0, true), 58);
        assert_eq!(next_level(FLOOR, 1.0, true), FLOOR);
        assert_eq!(next_level(CEILING, 0.0, true), CEILING);
        assert_eq!(next_level(1, 0.0, true), 2);
    }

    const PIECE: Duration = Duration::from_millis(100);

    /// `pieces` of 100 ms each through a pace due in `seconds`: the most in flight at once,
    /// and what the pace says it did.
    async fn run(pieces: usize, seconds: u64, clock: fn() -> Option<Duration>) -> (usize, Paced) {
        let (in_flight, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let piece = || async {
            peak.fetch_max(in_flight.fetch_add(1, SeqCst) + 1, SeqCst);
            tokio::time::sleep(PIECE).await;
            in_flight.fetch_sub(1, SeqCst);
        };
        let pace = Pace::with_clock(Instant::now() + S(seconds), None, clock);
        pace.more(pieces);
        let mut done = 0;
        let paced = pace
            .run(futures::stream::iter((0..pieces).map(|_| piece())), |()| {
                done += 1
            })
            .await;
        assert_eq!((done, paced.scanned), (pieces, pieces));
        assert!(paced.mean >= PIECE, "{paced:?}");
        (peak.load(SeqCst), paced)
    }

    /// Without a CPU reading the pace holds [`FLOOR`] while that meets the time. 400 pieces
    /// due in 4 s need 2 × 400 × 0.75 / 4 = 150 at once until one is seen to take 0.1 s. An
    /// idle thread raises the level past [`FLOOR`].
    #[tokio::test]
    async fn a_pace_follows_the_time_left_and_the_idle_thread() {
        let (seen, paced) = run(200, 100, || None).await;
        assert_eq!((seen, paced.peak), (FLOOR, FLOOR));

        let (seen, paced) = run(400, 4, || None).await;
        assert!(seen >= 150 && seen <= paced.peak, "{seen}, {paced:?}");
        assert!(paced.peak <= 152, "{paced:?}");

        let (seen, paced) = run(400, 100, || Some(Duration::ZERO)).await;
        assert!(seen > FLOOR && seen <= paced.peak, "{seen}, {paced:?}");
    }

    #[tokio::test]
    async fn a_fixed_pace_holds_its_number() {
        let pace = Pace::new(Instant::now() + S(1), Some(7));
        let peak = AtomicUsize::new(0);
        let running = AtomicUsize::new(0);
        let piece = || async {
            peak.fetch_max(running.fetch_add(1, SeqCst) + 1, SeqCst);
            tokio::time::sleep(PIECE / 10).await;
            running.fetch_sub(1, SeqCst);
        };
        let mut done = 0;
        let paced = pace
            .run(futures::stream::iter((0..50).map(|_| piece())), |()| {
                done += 1
            })
            .await;
        assert_eq!((done, paced.peak, peak.load(SeqCst)), (50, 7, 7));
    }
}
