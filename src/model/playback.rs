//! Play: the cursor follows a clock that runs at a chosen multiple of real
//! time (1/100x to 100x, on a log scale), so a person sees operations take
//! effect as far apart as they are in simulated time, only slower or faster.
//! Kept out of the browser layer: the page only feeds it elapsed wall time.

use crate::sim::recording::Recording;

/// Speeds are `10^(exponent / 10)`: ten notches per decade.
pub const NOTCHES_PER_DECADE: i32 = 10;
/// 1/100x.
pub const SLOWEST: i32 = -2 * NOTCHES_PER_DECADE;
/// 100x.
pub const FASTEST: i32 = 2 * NOTCHES_PER_DECADE;
/// 1/50x: a 10 ms DB read takes half a second to watch, slow enough to
/// follow on a projector.
pub const DEFAULT_SPEED: i32 = -17;
/// At most this many steps per tick, so one frame never stalls on a burst
/// of simultaneous operations in a large run.
pub const MAX_STEPS_PER_TICK: usize = 200;

/// The play state: whether playing, how fast, and the simulated instant the
/// playback clock has reached.
#[derive(Clone, Debug, PartialEq)]
pub struct Playback {
    /// Whether the clock runs.
    pub playing: bool,
    /// The speed notch, [`SLOWEST`]..=[`FASTEST`].
    pub speed: i32,
    /// Simulated milliseconds reached by the clock (fractional: many ticks
    /// may pass within one simulated millisecond at slow speeds).
    clock_ms: f64,
}

impl Default for Playback {
    fn default() -> Self {
        Playback {
            playing: false,
            speed: DEFAULT_SPEED,
            clock_ms: 0.0,
        }
    }
}

impl Playback {
    /// The speed as a multiple of real time.
    pub fn factor(&self) -> f64 {
        10f64.powf(f64::from(self.speed) / f64::from(NOTCHES_PER_DECADE))
    }

    /// `0.05x`, `1x`, `20x`.
    pub fn label(&self) -> String {
        let factor = self.factor();
        if factor >= 10.0 {
            format!("{factor:.0}x")
        } else if factor >= 1.0 {
            format!("{factor:.1}x")
        } else if factor >= 0.1 {
            format!("{factor:.2}x")
        } else {
            format!("{factor:.3}x")
        }
    }

    /// The simulated instant the clock has reached (fractional; between
    /// steps while playing, so motion can be drawn smoothly).
    pub fn clock_ms(&self) -> f64 {
        self.clock_ms
    }

    /// Sets the speed notch, clamped to the range.
    pub fn set_speed(&mut self, notch: i32) {
        self.speed = notch.clamp(SLOWEST, FASTEST);
    }

    /// Starts playing from the cursor (from the start when at the end).
    pub fn play(&mut self, recording: &mut Recording) {
        if recording.cursor() == recording.len() {
            recording.seek(0);
        }
        self.clock_ms = recording.current().now_ms() as f64;
        self.playing = !recording.is_empty();
    }

    /// Stops the clock.
    pub fn pause(&mut self) {
        self.playing = false;
    }

    /// `wall_ms` of real time passed: moves the cursor over every step the
    /// clock has reached. A gap in which nothing is in flight (a client
    /// idle for minutes until its entry expires) is skipped rather than
    /// waited out, so a lesson never plays a blank screen. Stops at the
    /// end, and pauses on reaching step `stop_at` (a lesson's next part).
    /// Returns how many steps were taken.
    pub fn tick(
        &mut self,
        recording: &mut Recording,
        wall_ms: f64,
        stop_at: Option<usize>,
    ) -> usize {
        if !self.playing {
            return 0;
        }
        self.clock_ms += wall_ms.max(0.0) * self.factor();
        let mut taken = 0;
        while recording.cursor() < recording.len() && taken < MAX_STEPS_PER_TICK {
            let next_ms = recording.time_after(recording.cursor() + 1) as f64;
            if next_ms > self.clock_ms {
                if recording.current().in_flight().is_empty() {
                    // Idle: jump to just before the next step.
                    self.clock_ms = self.clock_ms.max(next_ms - 1.0);
                }
                break;
            }
            recording.step_forward();
            taken += 1;
            if Some(recording.cursor()) == stop_at {
                self.playing = false;
                break;
            }
        }
        if recording.cursor() == recording.len() {
            self.playing = false;
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;

    fn recording(lesson: &str) -> Recording {
        Recording::new(&lessons::lesson(lesson).unwrap().scenario()).unwrap()
    }

    #[test]
    fn speeds_span_a_hundredth_to_a_hundred_times_real_time() {
        let mut playback = Playback::default();
        playback.set_speed(-99);
        assert_eq!(playback.factor(), 0.01);
        assert_eq!(playback.label(), "0.010x");
        playback.set_speed(99);
        assert_eq!(playback.factor(), 100.0);
        assert_eq!(playback.label(), "100x");
        playback.set_speed(0);
        assert_eq!(playback.label(), "1.0x");
    }

    #[test]
    fn the_cursor_follows_simulated_time_at_the_chosen_speed() {
        // cache-aside-basics: R1's miss at 1 ms, its DB read at 11 ms, its
        // set at 12 ms; R2's hit later.
        let mut rec = recording("cache-aside-basics");
        let mut playback = Playback::default();
        playback.set_speed(-10); // 0.1x: 10 wall ms per simulated ms.
        playback.play(&mut rec);
        assert_eq!(
            playback.tick(&mut rec, 5.0, None),
            0,
            "0.5 ms simulated: nothing yet"
        );
        assert_eq!(playback.tick(&mut rec, 5.0, None), 1, "1 ms: the miss");
        assert_eq!(rec.cursor(), 1);
        assert_eq!(
            playback.tick(&mut rec, 90.0, None),
            0,
            "10 ms: the read is due at 11"
        );
        assert_eq!(playback.tick(&mut rec, 10.0, None), 1);
        assert_eq!(rec.time_after(rec.cursor()), 11);
        playback.pause();
        assert_eq!(
            playback.tick(&mut rec, 1e9, None),
            0,
            "paused: nothing moves"
        );
    }

    #[test]
    fn idle_gaps_are_skipped_and_play_stops_at_the_end() {
        // ttl-only's last read comes 900 ms after the one before; at 1x
        // the lesson still plays in a fraction of its span because nothing
        // is in flight in between.
        let mut rec = recording("ttl-only");
        let end_ms = rec.time_after(rec.len()) as f64;
        assert!(end_ms > 1100.0, "the lesson spans {end_ms} ms");
        let mut playback = Playback::default();
        playback.set_speed(0);
        playback.play(&mut rec);
        let mut ticks = 0;
        while playback.playing {
            playback.tick(&mut rec, 16.0, None);
            ticks += 1;
            assert!(ticks < 1000, "still playing after {ticks} frames");
        }
        assert!(
            f64::from(ticks) * 16.0 < end_ms / 4.0,
            "{ticks} frames of 16 ms"
        );
        assert_eq!(rec.cursor(), rec.len());
        // Playing again from the end starts over.
        playback.play(&mut rec);
        assert_eq!(rec.cursor(), 0);
        assert!(playback.playing);
    }

    #[test]
    fn play_pauses_where_it_is_told_to() {
        let mut rec = recording("read-write-race");
        let mut playback = Playback::default();
        playback.set_speed(FASTEST);
        playback.play(&mut rec);
        while playback.playing {
            playback.tick(&mut rec, 16.0, Some(3));
        }
        assert_eq!(rec.cursor(), 3, "paused at the part, not at the end");
        playback.play(&mut rec);
        while playback.playing {
            playback.tick(&mut rec, 16.0, None);
        }
        assert_eq!(rec.cursor(), rec.len());
    }
}
