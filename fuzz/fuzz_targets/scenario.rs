//! Whole scenario text through load, compile and a few branches: refused
//! with a rendered, located error or run without a panic. After a line
//! `#--`, lines `set NAME=VALUE` and `do ID=VALUE` are command-line overrides.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim::engine::branch::{Workspace, run_branch};
use sim::engine::narrative::Narrative;
use sim::engine::trace::NoTrace;
use sim::scenario::Overrides;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (scenario, extra) = text.split_once("\n#--\n").unwrap_or((text, ""));
    let mut overrides = Overrides::default();
    for line in extra.lines() {
        if let Some(s) = line.strip_prefix("set ") {
            overrides.set.push(s.to_string());
        } else if let Some(d) = line.strip_prefix("do ") {
            overrides.interventions.push(d.to_string());
        }
    }
    // One file per fuzzing process, on tmpfs where there is one.
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        "/dev/shm".into()
    } else {
        std::env::temp_dir()
    };
    let path = std::path::Path::new(&dir).join(format!("sim-fuzz-{}.toml", std::process::id()));
    std::fs::write(&path, scenario).expect("the fuzz file is written");
    let sc = match sim::scenario::load(&path, &overrides) {
        Ok(sc) => sc,
        Err(report) => {
            let _ = report.to_string();
            return;
        }
    };
    let p = match sim::program::compile(&sc) {
        Ok(p) => p,
        Err(d) => {
            let _ = d.render(&sc.sources);
            return;
        }
    };
    let mut ws = Workspace::new(&p, 1);
    for branch in 0..8 {
        if run_branch(&p, &mut ws, branch, &mut NoTrace).is_err() {
            return;
        }
    }
    let mut story = Narrative::default();
    let _ = sim::engine::run::replay(&p, 1, 3, &mut story);
    let _ = story.text(80);
});
