//! The table of distinct paths a run took, in bounded memory. Counts are
//! exact. Past `cap` distinct paths, the table keeps the `cap` whose key
//! (a fixed hash of the path, then the path) is least — a bottom-k sample,
//! which is the same set whatever the order in which branches are added
//! or parts merged — and counts every other branch as "other".

use super::sorted_map;
use super::{FastMap, PathCounts};
use serde::{Deserialize, Serialize};

/// Distinct paths kept by the run's table (the report lists the commonest).
pub const CAP: usize = 1 << 16;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PathTable {
    #[serde(with = "sorted_map")]
    kept: PathCounts,
    /// Once the table has been pruned: no path whose key is this or more is kept.
    bar: Option<(u64, Box<[u32]>)>,
    /// Branches whose path was not kept.
    other: u64,
    #[serde(skip, default = "cap")]
    cap: usize,
}

fn cap() -> usize {
    CAP
}

impl Default for PathTable {
    fn default() -> Self {
        PathTable::with_cap(CAP)
    }
}

/// FNV-1a over the path's codes: fixed for ever, so the sample kept is
/// the same on every machine and in every version.
fn hash(path: &[u32]) -> u64 {
    path.iter().fold(0xcbf2_9ce4_8422_2325, |h, &c| {
        c.to_le_bytes()
            .iter()
            .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    })
}

fn below(path: &[u32], bar: &(u64, Box<[u32]>)) -> bool {
    (hash(path), path) < (bar.0, &bar.1[..])
}

impl PathTable {
    pub fn with_cap(cap: usize) -> Self {
        PathTable {
            kept: FastMap::default(),
            bar: None,
            other: 0,
            cap: cap.max(1),
        }
    }

    /// One branch took `path`.
    #[inline]
    pub fn add(&mut self, path: &[u32]) {
        match self.kept.get_mut(path) {
            Some(c) => *c += 1,
            None => self.add_count(path, 1),
        }
    }

    #[inline(never)]
    fn add_count(&mut self, path: &[u32], count: u64) {
        if let Some(c) = self.kept.get_mut(path) {
            *c += count;
            return;
        }
        if self.bar.as_ref().is_some_and(|bar| !below(path, bar)) {
            self.other += count;
            return;
        }
        self.kept.insert(path.into(), count);
        if self.kept.len() > 2 * self.cap {
            self.prune();
        }
    }

    /// Keeps the `cap` least keys; the rest become "other".
    fn prune(&mut self) {
        let mut keys: Vec<(u64, Box<[u32]>)> = self.kept.keys().map(|p| (hash(p), p.clone())).collect();
        keys.sort_unstable();
        for key in keys.drain(self.cap..).rev() {
            self.other += self.kept.remove(&key.1).unwrap_or(0);
            self.bar = Some(key);
        }
    }

    pub fn merge(&mut self, other: PathTable) {
        self.other += other.other;
        if let Some(theirs) = other.bar {
            if self.bar.as_ref().is_none_or(|ours| theirs < *ours) {
                let dropped: Vec<Box<[u32]>> = self.kept.keys().filter(|p| !below(p, &theirs)).cloned().collect();
                for p in dropped {
                    self.other += self.kept.remove(&p).unwrap_or(0);
                }
                self.bar = Some(theirs);
            }
        }
        for (path, count) in other.kept {
            self.add_count(&path, count);
        }
    }

    /// The paths kept, with their exact counts, and the branches counted
    /// as other: the same whatever the order of adding and merging.
    pub fn finished(&self) -> (Vec<(&[u32], u64)>, u64) {
        let mut all: Vec<(u64, &[u32], u64)> = self.kept.iter().map(|(p, &c)| (hash(p), &p[..], c)).collect();
        let mut other = self.other;
        if self.bar.is_some() || all.len() > self.cap {
            all.sort_unstable();
            other += all.drain(self.cap.min(all.len())..).map(|(_, _, c)| c).sum::<u64>();
        }
        (all.into_iter().map(|(_, p, c)| (p, c)).collect(), other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Paths of skewed frequency, as a run gives them.
    fn paths(n: usize, seed: u64) -> Vec<Vec<u32>> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let k: u32 = (rng.next_u32() % 40).pow(2) / 8;
                vec![k, rng.next_u32() % 50, 7]
            })
            .collect()
    }

    fn sorted(t: &PathTable) -> (Vec<(Vec<u32>, u64)>, u64) {
        let (kept, other) = t.finished();
        let mut kept: Vec<(Vec<u32>, u64)> = kept.into_iter().map(|(p, c)| (p.to_vec(), c)).collect();
        kept.sort();
        (kept, other)
    }

    #[test]
    fn under_the_cap_every_path_is_counted_exactly() {
        let all = paths(5000, 1);
        let mut t = PathTable::with_cap(5000);
        all.iter().for_each(|p| t.add(p));
        let (kept, other) = sorted(&t);
        assert_eq!(other, 0);
        assert_eq!(kept.iter().map(|k| k.1).sum::<u64>(), 5000);
        let first = &all[0];
        let want = all.iter().filter(|p| *p == first).count() as u64;
        assert_eq!(kept.iter().find(|k| &k.0 == first).unwrap().1, want);
    }

    #[test]
    fn over_the_cap_the_sample_and_its_counts_do_not_depend_on_the_split() {
        let all = paths(20000, 2);
        let distinct: std::collections::BTreeSet<&Vec<u32>> = all.iter().collect();
        let cap = 20;
        assert!(distinct.len() > 4 * cap, "{}", distinct.len());
        let mut whole = PathTable::with_cap(cap);
        all.iter().for_each(|p| whole.add(p));
        let (kept, other) = sorted(&whole);
        assert_eq!(kept.len(), cap);
        assert_eq!(kept.iter().map(|k| k.1).sum::<u64>() + other, 20000);
        // Every kept count is exact.
        for (p, c) in &kept {
            assert_eq!(*c, all.iter().filter(|q| *q == p).count() as u64);
        }
        // In parts of any size, merged in any order: the same table.
        for parts in [2, 3, 7, 50] {
            let mut tables: Vec<PathTable> = all
                .chunks(all.len().div_ceil(parts))
                .map(|chunk| {
                    let mut t = PathTable::with_cap(cap);
                    chunk.iter().for_each(|p| t.add(p));
                    t
                })
                .collect();
            tables.reverse();
            let mut merged = PathTable::with_cap(cap);
            for t in tables {
                merged.merge(t);
            }
            assert_eq!(sorted(&merged), (kept.clone(), other), "{parts} parts");
        }
    }
}
