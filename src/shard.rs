//! Sharded runs, for a cluster: a run, comparison, sweep or sensitivity
//! analysis split into N parts (contiguous ranges of branch indices, or of
//! a grid's runs), each written as a partial result holding exact tallies,
//! and merged into output byte-identical to the single run.
//!
//! A branch's draws depend only on its index, so shard K of N computes
//! exactly what the single run computes for those branches; tallies merge
//! by exact integer addition. The partial format is versioned: parts of
//! another version (or engine) are refused, as are parts that do not belong
//! together.

use crate::compare::PairTally;
use crate::diagnostic::Sources;
use crate::stats::Tally;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the partial format below; parts of another version are refused.
pub const PARTIAL_FORMAT: u32 = 2;
/// Largest partial file read.
const MAX_PART_BYTES: u64 = 1 << 30;

/// What was asked for: enough to load the scenario again and to tell
/// whether parts belong together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    /// `run`, `compare`, `sweep` or `sensitivity`.
    pub command: String,
    /// The directory the command ran in (scenario paths are relative to it).
    pub cwd: PathBuf,
    pub file: PathBuf,
    /// `compare`: the base scenario.
    pub base: Option<PathBuf>,
    pub set: Vec<String>,
    pub interventions: Vec<String>,
    pub no_base: bool,
    pub vary: Vec<String>,
    pub outcome: Option<String>,
    pub seed: u64,
    /// Branches of the whole run (not of this part).
    pub branches: u64,
}

/// What one part computed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartData {
    /// A run alone, over the part's branches.
    Run { tally: Box<Tally> },
    /// A run against a base, over the part's branches.
    Paired { tally: Box<PairTally> },
    /// A sweep or sensitivity: runs `first..first + tallies.len()` of the
    /// plan, each over every branch.
    Grid { first: usize, tallies: Vec<Tally> },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partial {
    pub partial_format: u32,
    pub engine_version: String,
    pub invocation: Invocation,
    /// A digest of every scenario text the run read.
    pub digest: String,
    /// This part's number (from 1) and the number of parts.
    pub shard: [u64; 2],
    pub data: PartData,
}

/// Reads `K/N` (1 <= K <= N <= 100000).
pub fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let parse = |s: &str| s.trim().parse::<u64>().ok();
    match text.split_once('/').map(|(k, n)| (parse(k), parse(n))) {
        Some((Some(k), Some(n))) if (1..=n).contains(&k) && n <= 100_000 => Ok((k, n)),
        _ => Err(format!(
            "error: --shard {text}: expected K/N with 1 <= K <= N <= 100000, such as 3/8\n"
        )),
    }
}

/// The contiguous range `[lo, hi)` of `0..total` that part `k` of `n` covers.
pub fn range(total: u64, k: u64, n: u64) -> std::ops::Range<u64> {
    let at = |i: u64| ((u128::from(total) * u128::from(i)) / u128::from(n)) as u64;
    at(k - 1)..at(k)
}

/// FNV-1a over every source's name and text, in reading order.
pub fn digest(sources: &[&Sources]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for s in sources {
        for (name, text) in s.texts() {
            for b in name.bytes().chain([0]).chain(text.bytes()).chain([0xff]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }
    format!("{h:016x}")
}

/// Reads and checks the parts: each a partial result of this engine and
/// format, all of one invocation and scenario digest, every part present
/// exactly once. Returns them in part order.
pub fn read_parts(paths: &[PathBuf]) -> Result<Vec<Partial>, String> {
    if paths.is_empty() {
        return Err("error: sim merge needs the partial results to merge\n".into());
    }
    let mut parts: Vec<(PathBuf, Partial)> = Vec::new();
    for path in paths {
        parts.push((path.clone(), read_part(path)?));
    }
    let (first_path, first) = &parts[0];
    let n = first.shard[1];
    for (path, p) in &parts[1..] {
        let differs = if p.invocation != first.invocation {
            Some("a different command (scenario, flags, seed or branch count)")
        } else if p.digest != first.digest {
            Some("different scenario files")
        } else if p.shard[1] != n {
            Some("a different number of parts")
        } else {
            None
        };
        if let Some(what) = differs {
            return Err(format!(
                "error: `{}` does not belong with `{}`: it comes from {what}\n",
                path.display(),
                first_path.display()
            ));
        }
    }
    let mut seen: Vec<Option<&Path>> = vec![None; n as usize];
    for (path, p) in &parts {
        let k = p.shard[0];
        match seen[(k - 1) as usize] {
            Some(other) => {
                return Err(format!(
                    "error: part {k} of {n} is given twice: `{}` and `{}`\n",
                    other.display(),
                    path.display()
                ));
            }
            None => seen[(k - 1) as usize] = Some(path),
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| seen[(*k - 1) as usize].is_none())
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "error: parts missing: {} of {n} (each part K/N must be given once)\n",
            missing.join(", ")
        ));
    }
    let mut parts: Vec<Partial> = parts.into_iter().map(|(_, p)| p).collect();
    parts.sort_by_key(|p| p.shard[0]);
    Ok(parts)
}

fn read_part(path: &Path) -> Result<Partial, String> {
    let fail = |what: String| format!("error: `{}` {what}\n", path.display());
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    if !meta.is_file() || meta.len() > MAX_PART_BYTES {
        return Err(fail(
            "is not a partial result (not a regular file, or too large)".into(),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| fail(format!("is not a partial result: {e}")))?;
    match value.get("partial_format").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(PARTIAL_FORMAT) => {}
        Some(v) => {
            return Err(fail(format!(
                "is a partial result of format {v}; this sim reads format {PARTIAL_FORMAT} (run every part with one sim)"
            )));
        }
        None => return Err(fail("is not a partial result (no `partial_format`)".into())),
    }
    // Read again, typed: the sums of squares are 128-bit integers.
    let part: Partial =
        serde_json::from_str(&text).map_err(|e| fail(format!("is not a well-formed partial result: {e}")))?;
    if part.engine_version != env!("CARGO_PKG_VERSION") {
        return Err(fail(format!(
            "was made by sim {}; this is sim {} (run every part with one sim)",
            part.engine_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let [k, n] = part.shard;
    if !(1..=n).contains(&k) {
        return Err(fail(format!("claims to be part {k} of {n}")));
    }
    Ok(part)
}
