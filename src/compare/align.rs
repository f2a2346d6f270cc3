//! How two programs line up: their shared flags and metrics, a union of
//! their nodes (by id) and options (by id), and where two branches'
//! sequences of decisions first differ.

use crate::engine::branch::HAPPENED;
use crate::program::{Program, YES};

/// An option as compared across the two programs: a yes/no decision's 0 or
/// 1, an option by its index in the base, or (only in the other program)
/// `FIRST_NEW + index`.
pub const FIRST_NEW: u32 = 1 << 16;
/// Marks "no decision here" in a divergence: the node was not reached.
pub const ABSENT: u32 = u32::MAX;

pub struct Alignment {
    /// Shared flags and metrics: (index in base, index in other).
    pub flags: Vec<(usize, usize)>,
    pub metrics: Vec<(usize, usize)>,
    /// Other's node index → union node index (base nodes keep theirs).
    node_union: Vec<u32>,
    /// Per node of the other program: its options in the base's numbering.
    option_union: Vec<Vec<u32>>,
    /// Whether every node and option of the other program keeps the base's
    /// index in the union (so an entry reads the same in both).
    same_indices: bool,
    /// Union node ids, and per union node its options' names (empty: yes/no).
    pub union_ids: Vec<String>,
    pub union_options: Vec<Vec<String>>,
}

/// Where two branches first part: the node, and the option each took there
/// ([`ABSENT`] where it took none at that point).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parting {
    pub node: u32,
    pub base: u32,
    pub other: u32,
}

fn ids<'a>(it: impl Iterator<Item = &'a String>) -> Vec<&'a str> {
    it.map(String::as_str).collect()
}

fn pairs(a: &[&str], b: &[&str]) -> Vec<(usize, usize)> {
    a.iter()
        .enumerate()
        .filter_map(|(i, id)| b.iter().position(|x| x == id).map(|j| (i, j)))
        .collect()
}

impl Alignment {
    pub fn new(base: &Program, other: &Program) -> Self {
        let index: std::collections::HashMap<&str, u32> = base
            .nodes()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i as u32))
            .collect();
        let mut union_ids: Vec<String> = base.nodes().map(|n| n.id.clone()).collect();
        let mut union_options: Vec<Vec<String>> = base
            .nodes()
            .map(|n| n.options.iter().map(|o| o.id.clone()).collect())
            .collect();
        let mut node_union = Vec::new();
        let mut option_union: Vec<Vec<u32>> = Vec::new();
        for n in other.nodes() {
            let u = match index.get(n.id.as_str()) {
                Some(&i) => i,
                None => {
                    union_ids.push(n.id.clone());
                    union_options.push(n.options.iter().map(|o| o.id.clone()).collect());
                    (union_ids.len() - 1) as u32
                }
            };
            let known = &union_options[u as usize];
            option_union.push(
                n.options
                    .iter()
                    .enumerate()
                    .map(|(k, o)| match known.iter().position(|x| *x == o.id) {
                        Some(b) => b as u32,
                        None => FIRST_NEW + k as u32,
                    })
                    .collect(),
            );
            node_union.push(u);
        }
        let same_indices = node_union.iter().enumerate().all(|(i, &u)| u == i as u32)
            && option_union
                .iter()
                .all(|o| o.iter().enumerate().all(|(k, &u)| u == k as u32));
        Alignment {
            same_indices,
            flags: pairs(
                &ids(base.flags.iter().map(|c| &c.id)),
                &ids(other.flags.iter().map(|c| &c.id)),
            ),
            metrics: pairs(
                &ids(base.metrics.iter().map(|c| &c.id)),
                &ids(other.metrics.iter().map(|c| &c.id)),
            ),
            node_union,
            option_union,
            union_ids,
            union_options,
        }
    }

    /// A base entry as (tick, union node, option); something that happened
    /// without a decision counts as a yes.
    fn base_entry(&self, (t, code): (u32, u32)) -> (u32, u32, u32) {
        let option = match code & 0xff {
            HAPPENED => YES,
            o => o,
        };
        (t, code >> 8, option)
    }

    fn other_entry(&self, (t, code): (u32, u32)) -> (u32, u32, u32) {
        let node = (code >> 8) as usize;
        let option = match code & 0xff {
            HAPPENED => YES,
            o => self.option_union[node].get(o as usize).copied().unwrap_or(o),
        };
        (t, self.node_union[node], option)
    }

    /// Where two branches' decisions (see `Record::decisions`) first differ.
    pub fn first_difference(&self, base: &[(u32, u32)], other: &[(u32, u32)]) -> Option<Parting> {
        // Entries equal as they stand read equal where the indices are the same.
        let common = match self.same_indices {
            true => base.iter().zip(other).take_while(|(b, o)| b == o).count(),
            false => 0,
        };
        let (mut i, mut j) = (common, common);
        loop {
            let b = base.get(i).map(|&e| self.base_entry(e));
            let o = other.get(j).map(|&e| self.other_entry(e));
            match (b, o) {
                (None, None) => return None,
                (Some((_, node, opt)), None) => {
                    return Some(Parting {
                        node,
                        base: opt,
                        other: ABSENT,
                    });
                }
                (None, Some((_, node, opt))) => {
                    return Some(Parting {
                        node,
                        base: ABSENT,
                        other: opt,
                    });
                }
                (Some(x), Some(y)) if x == y => {
                    i += 1;
                    j += 1;
                }
                (Some((tb, nb, ob)), Some((to, no, oo))) => {
                    return Some(if nb == no {
                        Parting {
                            node: nb,
                            base: if tb <= to { ob } else { ABSENT },
                            other: if to <= tb { oo } else { ABSENT },
                        }
                    } else if (tb, nb) <= (to, no) {
                        Parting {
                            node: nb,
                            base: ob,
                            other: ABSENT,
                        }
                    } else {
                        Parting {
                            node: no,
                            base: ABSENT,
                            other: oo,
                        }
                    });
                }
            }
        }
    }

    /// How an option of a union node reads.
    pub fn option_name(&self, node: u32, option: u32, other: &Program) -> String {
        let names = &self.union_options[node as usize];
        match option {
            ABSENT => "(none)".to_string(),
            o if o >= FIRST_NEW => {
                let id = &self.union_ids[node as usize];
                other
                    .nodes()
                    .find(|n| n.id == *id)
                    .and_then(|n| n.options.get((o - FIRST_NEW) as usize))
                    .map_or("?".to_string(), |c| c.id.clone())
            }
            o if names.is_empty() => if o == YES { "yes" } else { "no" }.to_string(),
            o => names.get(o as usize).cloned().unwrap_or_else(|| "?".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Three nodes with two options each, the same indices in both programs.
    fn alignment(same_indices: bool) -> Alignment {
        Alignment {
            flags: Vec::new(),
            metrics: Vec::new(),
            node_union: vec![0, 1, 2],
            option_union: vec![vec![0, 1]; 3],
            same_indices,
            union_ids: vec!["a".into(), "b".into(), "c".into()],
            union_options: vec![vec!["x".into(), "y".into()]; 3],
        }
    }

    #[test]
    fn skipping_the_common_start_finds_the_same_parting() {
        let (fast, slow) = (alignment(true), alignment(false));
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let entry = |rng: &mut ChaCha8Rng, t: u32| {
            let code = match rng.random_range(0..3u32) {
                0 => HAPPENED,
                o => o - 1,
            };
            (t, rng.random_range(0..3u32) << 8 | code)
        };
        let mut parted = 0;
        for _ in 0..2000 {
            let shared: Vec<(u32, u32)> = (0..rng.random_range(0..6)).map(|t| entry(&mut rng, t)).collect();
            let (mut base, mut other) = (shared.clone(), shared);
            for list in [&mut base, &mut other] {
                for t in 6..6 + rng.random_range(0..4) {
                    list.push(entry(&mut rng, t));
                }
            }
            let found = fast.first_difference(&base, &other);
            assert_eq!(found, slow.first_difference(&base, &other), "{base:?} / {other:?}");
            parted += usize::from(found.is_some());
        }
        assert!(parted > 1000, "only {parted} pairs parted");
    }
}
