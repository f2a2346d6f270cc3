//! Progress on standard error for runs of many grid points (sweeps and
//! sensitivity): shown only when stderr is a terminal and the work has
//! already taken a second, so pipes, files and quick runs stay quiet.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How long work runs before its progress is shown.
const QUIET_FOR: Duration = Duration::from_secs(1);

pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    /// A bar for `what` (hidden until a second has passed), or nothing
    /// when stderr is not a terminal.
    pub fn new(what: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            let style =
                ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} runs, {elapsed} (about {eta} left)")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(what.to_string());
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
        }
    }

    /// `k` of `n` runs are done.
    pub fn set(&self, k: usize, n: usize) {
        let Some(bar) = &self.bar else { return };
        bar.set_length(n as u64);
        bar.set_position(k as u64);
        if bar.is_hidden() && k < n && self.started.elapsed() >= QUIET_FOR {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
