//! `cargo bench`: branches per second with 1 and 2 threads, random draws per
//! branch and their bare cost, peak heap at 100 000 and 10 000 000
//! branches (memory must not grow with the branch count), the cost of a
//! paired run and of a sensitivity analysis as ratios to single runs.
//! Prints figures; asserts nothing about time.

use sim::engine::batch::Plan;
use sim::engine::branch::{Workspace, run_branch};
use sim::engine::rng::Lanes;
use sim::engine::run::{RunSettings, Single, run, run_job, with_pool};
use sim::engine::trace::NoTrace;
use sim::program::{Program, compile};
use sim::scenario::{Overrides, load};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live and peak heap bytes.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn program(file: &str) -> Program {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let sc = load(&path, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
    compile(&sc).unwrap_or_else(|d| panic!("{}", d.render(&sc.sources)))
}

/// Best of three runs, in branches per second; `event_driven` runs branch
/// by branch only (what the batch engine is measured against).
fn throughput(p: &Program, branches: u64, threads: usize, event_driven: bool) -> f64 {
    (0..3)
        .map(|_| once(p, branches, threads, event_driven))
        .fold(0.0, f64::max)
}

/// Branches per second of one run.
fn once(p: &Program, branches: u64, threads: usize, event_driven: bool) -> f64 {
    let settings = RunSettings {
        first: 0,
        seed: p.meta.seed,
        branches,
        threads,
        batch_size: 4096,
    };
    let job = match event_driven {
        true => Single::event_driven(p),
        false => Single::new(p),
    };
    let t = Instant::now();
    let tally = with_pool(threads, || run_job(&job, &settings)).unwrap().unwrap();
    assert_eq!(tally.branches, branches);
    branches as f64 / t.elapsed().as_secs_f64()
}

/// Branches per second on 1 and on 2 threads, the best of five runs of
/// each taken in turn (so that a slow spell of the shared machine falls on
/// both alike).
fn one_and_two(p: &Program, branches: u64) -> (f64, f64) {
    (0..5).fold((0.0, 0.0), |(one, two), _| {
        let a = once(p, branches, 1, false);
        let b = once(p, branches, 2, false);
        (a.max(one), b.max(two))
    })
}

/// Peak heap growth during one run.
fn peak_heap(p: &Program, branches: u64) -> usize {
    let settings = RunSettings {
        first: 0,
        seed: p.meta.seed,
        branches,
        threads: 2,
        batch_size: 4096,
    };
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let tally = run(p, &settings).unwrap().unwrap();
    drop(tally);
    PEAK.load(Ordering::Relaxed) - before
}

fn draws_per_branch(p: &Program, branches: u64) -> f64 {
    let mut ws = Workspace::new(p, p.meta.seed);
    for b in 0..branches {
        run_branch(p, &mut ws, b, &mut NoTrace).unwrap();
    }
    ws.lanes.draws() as f64 / branches as f64
}

/// The bare cost of a branch's draws, in branches per second: `per_branch`
/// uniforms a branch, each from a lane of its own (as a branch reads
/// them: every lane generates its values a batch, 64 branches, at a time), and
/// nothing else. Best of three.
fn draw_throughput(p: &Program, per_branch: f64, branches: u64) -> f64 {
    let lanes = (per_branch.round() as usize).clamp(1, p.lanes.len().max(1));
    let streams: Vec<u64> = (0..lanes as u64)
        .map(|l| p.lanes.get(l as usize).copied().unwrap_or(l))
        .collect();
    (0..3)
        .map(|_| {
            let mut rng = Lanes::new(p.meta.seed, &streams);
            let t = Instant::now();
            let mut sum = 0.0;
            for b in 0..branches {
                for l in 0..lanes {
                    sum += rng.uniform(l, b);
                }
            }
            std::hint::black_box(sum);
            branches as f64 / t.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

/// Event and process steps evaluated per branch (what happens, against the
/// ticks of the timeline: the event-driven clock costs the former).
fn steps_per_branch(p: &Program, branches: u64) -> f64 {
    let settings = RunSettings {
        first: 0,
        seed: p.meta.seed,
        branches,
        threads: 2,
        batch_size: 4096,
    };
    let tally = run(p, &settings).unwrap().unwrap();
    tally.steps.iter().sum::<u64>() as f64 / branches as f64
}

/// Time of a paired run of `cf` with its base, against the longer of the
/// two single runs and against the two single runs together.
fn paired_cost(base: &Program, cf: &Program, branches: u64) -> (f64, f64) {
    let settings = RunSettings {
        first: 0,
        seed: cf.meta.seed,
        branches,
        threads: 2,
        batch_size: 4096,
    };
    let best = |f: &dyn Fn()| {
        (0..3)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let single = best(&|| drop(run(cf, &settings).unwrap().unwrap()));
    let alone = best(&|| drop(run(base, &settings).unwrap().unwrap()));
    let paired = best(&|| drop(sim::compare::run_pair(base, cf, &settings).unwrap().unwrap()));
    (paired / single.max(alone), paired / (single + alone))
}

/// Time of `sim sensitivity` (every run of its plan, sharing the trunk)
/// against one run of the scenario, on the same branches and one thread.
fn sensitivity_cost(p: &Program, branches: u64) -> (usize, f64) {
    let settings = RunSettings {
        first: 0,
        seed: p.meta.seed,
        branches,
        threads: 1,
        batch_size: 4096,
    };
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64()
    };
    let one = (0..3)
        .map(|_| time(&|| drop(run(p, &settings).unwrap().unwrap())))
        .fold(f64::INFINITY, f64::min);
    let all = time(&|| drop(sim::sweep::sensitivity(p, None, &settings).unwrap()));
    (sim::sweep::sensitivity_plan(p).len(), all / one)
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is a filter on scenario files.
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    // Each scenario with counterfactuals to time against it: one that costs
    // about as much per branch, and one that ends most branches early.
    let pairs: [(&str, &[&str]); 4] = [
        // The format-1 Korean baseline as it stood before format 2: the
        // figure comparable across engine versions.
        (
            "tests/fixtures/korea-v1/historical.toml",
            &[
                "tests/fixtures/korea-v1/pow_compromise.toml",
                "tests/fixtures/korea-v1/no_us_intervention.toml",
            ],
        ),
        (
            "scenarios/historical.toml",
            &["scenarios/pow_compromise.toml", "scenarios/no_us_intervention.toml"],
        ),
        (
            "tests/fixtures/harbour.toml",
            &["tests/fixtures/harbour_no_mediator.toml"],
        ),
        // Long and sparse: 2-hour ticks over six and a half months.
        ("tests/fixtures/cuba1962.toml", &[]),
    ];
    for (file, counterfactuals) in pairs {
        if !filter.is_empty() && !filter.iter().any(|f| file.contains(f.as_str())) {
            continue;
        }
        if !std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file).exists() {
            continue;
        }
        let p = program(file);
        let n = 1_000_000;
        let (one, two) = one_and_two(&p, n);
        println!("{file}");
        println!("  1 thread : {:>12.0} branches/s", one);
        println!("  2 threads: {:>12.0} branches/s   (speed-up {:.2}x)", two, two / one);
        if Plan::new(&p).is_some() {
            let alone = throughput(&p, n, 1, true);
            println!(
                "  in batches of 64 (the batch engine); branch by branch it runs {alone:.0} branches/s on 1 thread ({:.2}x slower)",
                one / alone
            );
        }
        let draws = draws_per_branch(&p, 100_000);
        println!("  random draws per branch: {draws:.2}");
        let bare = draw_throughput(&p, draws, n);
        println!(
            "  those draws alone: {:.3} µs a branch; a branch on 1 thread takes {:.3} µs, {:.1}x its draws",
            1e6 / bare,
            1e6 / one,
            bare / one
        );
        println!(
            "  steps run per branch: {:.1}, of {} ticks in the timeline",
            steps_per_branch(&p, 100_000),
            p.meta.ticks()
        );
        let small = peak_heap(&p, 100_000);
        let large = peak_heap(&p, 10_000_000);
        println!(
            "  peak heap: {:.1} KiB at 100 000 branches, {:.1} KiB at 10 000 000 (ratio {:.2})",
            small as f64 / 1024.0,
            large as f64 / 1024.0,
            large as f64 / small as f64
        );
        if file.contains("historical") {
            let (runs, ratio) = sensitivity_cost(&p, 20_000);
            println!("  sensitivity, 20 000 branches, 1 thread: {ratio:.0}x one run ({runs} runs)");
        }
        for counterfactual in counterfactuals {
            let cf = program(counterfactual);
            let (vs_longer, vs_both) = paired_cost(&p, &cf, n);
            println!(
                "  {counterfactual} with its base: {vs_longer:.2}x the longer single run; {vs_both:.2}x the two single runs together"
            );
        }
    }
}
