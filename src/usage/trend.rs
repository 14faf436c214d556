//! Days until a pool's free addresses run out, from how fast its used addresses grew (pure).
//!
//! A least-squares line through the last days of `UsedAddresses`: when it rises, the days
//! until it has eaten today's free addresses; when it is flat or falling, no estimate at all
//! (an "infinite" value would only clutter graphs and alarms).

/// How far back the trend looks.
pub const WINDOW_DAYS: u64 = 7;
/// Less history than this says nothing about a week: a new monitor waits for it.
pub const MIN_POINTS: usize = 3;
pub const MIN_SPAN_SECONDS: f64 = 3600.0;
const SECONDS_PER_DAY: f64 = 86_400.0;

/// The slope of `(unix seconds, used addresses)` points (oldest first), in addresses per
/// day; `None` with fewer than [`MIN_POINTS`] points or less than [`MIN_SPAN_SECONDS`] of time.
pub fn growth_per_day(points: &[(f64, f64)]) -> Option<f64> {
    let (first, last) = (points.first()?, points.last()?);
    if points.len() < MIN_POINTS || last.0 - first.0 < MIN_SPAN_SECONDS {
        return None;
    }
    // Times relative to the first point keep the sums well inside f64's precision.
    let t0 = points[0].0;
    let n = points.len() as f64;
    let mean_t = points.iter().map(|(t, _)| t - t0).sum::<f64>() / n;
    let mean_v = points.iter().map(|(_, v)| v).sum::<f64>() / n;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (t, v) in points {
        let dt = t - t0 - mean_t;
        sxx += dt * dt;
        sxy += dt * (v - mean_v);
    }
    (sxx > 0.0).then(|| sxy / sxx * SECONDS_PER_DAY)
}

/// Beyond this a forecast says nothing: a +1 address blip over a week would otherwise read
/// as millions of days.
pub const HORIZON_DAYS: f64 = 3653.0;

/// Days until `free_now` addresses are used up at the fitted growth; `None` unless usage grows
/// fast enough to run out within [`HORIZON_DAYS`] (ten years).
pub fn days_to_exhaustion(points: &[(f64, f64)], free_now: u64) -> Option<f64> {
    let growth = growth_per_day(points)?;
    let days = free_now as f64 / growth;
    (growth > 0.0 && growth.is_finite() && days <= HORIZON_DAYS).then_some(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_growth_gives_free_over_rate() {
        // 100 addresses a day for a week, sampled hourly.
        let points: Vec<(f64, f64)> = (0..=168)
            .map(|h| (1.7e9 + h as f64 * 3600.0, 1000.0 + h as f64 * 100.0 / 24.0))
            .collect();
        let days = days_to_exhaustion(&points, 350).unwrap();
        assert!((days - 3.5).abs() < 1e-9, "{days}");
    }

    #[test]
    fn a_blip_that_would_take_decades_gives_nothing() {
        // One more address over a week, with 100,000 free: ~700,000 days.
        let week: Vec<(f64, f64)> = (0..=168)
            .map(|h| (h as f64 * 3600.0, 500.0 + if h == 168 { 1.0 } else { 0.0 }))
            .collect();
        assert_eq!(days_to_exhaustion(&week, 100_000), None);
        // The same slope (~0.005 a day) with 10 free: ~1,960 days, within the horizon.
        let days = days_to_exhaustion(&week, 10).unwrap();
        assert!((1_900.0..2_000.0).contains(&days), "{days}");
    }

    #[test]
    fn flat_shrinking_and_single_points_give_nothing() {
        let flat: Vec<(f64, f64)> = (0..20).map(|i| (i as f64 * 300.0, 42.0)).collect();
        assert_eq!(days_to_exhaustion(&flat, 100), None);
        let shrinking: Vec<(f64, f64)> = (0..20)
            .map(|i| (i as f64 * 300.0, 500.0 - i as f64))
            .collect();
        assert_eq!(days_to_exhaustion(&shrinking, 100), None);
        assert_eq!(days_to_exhaustion(&[(0.0, 1.0)], 100), None);
        assert_eq!(
            days_to_exhaustion(&[(5.0, 1.0), (5.0, 9.0)], 100),
            None,
            "no time passed"
        );
    }

    #[test]
    fn minutes_of_history_say_nothing_about_a_week() {
        let minutes: Vec<(f64, f64)> = (0..30)
            .map(|i| (i as f64 * 60.0, 100.0 + i as f64 * 5.0))
            .collect();
        assert_eq!(
            days_to_exhaustion(&minutes, 1000),
            None,
            "29 minutes of fast growth"
        );
        let hour: Vec<(f64, f64)> = (0..=12)
            .map(|i| (i as f64 * 300.0, 100.0 + i as f64))
            .collect();
        assert!(
            days_to_exhaustion(&hour, 1000).is_some(),
            "an hour is enough"
        );
        let two = [(0.0, 1.0), (7200.0, 9.0)];
        assert_eq!(
            days_to_exhaustion(&two, 1000),
            None,
            "two points are not a trend"
        );
    }
}
