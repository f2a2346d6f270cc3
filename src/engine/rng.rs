//! Addressable randomness: every uniform is a pure function of
//! (seed, branch index, node id, draw number).
//!
//! Layout, fixed for reproducibility (changing it changes every result):
//! - the ChaCha8 key is four SplitMix64 outputs of the seed, little-endian;
//! - each (node id, draw number) pair is a *lane*: a ChaCha stream whose
//!   64-bit id is [`stream_id`] of the pair;
//! - branch `b` reads the two 32-bit words at word position `2b` of its lane
//!   as one `u64`, and maps it to `((x >> 11) + 0.5) / 2^53` in (0, 1).
//!
//! So the value never depends on evaluation order, thread count or batch
//! size, and a counterfactual sees the same uniform as its base for every
//! node they share. A lane's values are generated 64 branches at a time
//! (eight ChaCha blocks, rand_chacha's ChaCha8 stream), and kept as
//! uniforms: on x86-64 with AVX2 by `chacha8`, eight blocks side by side,
//! elsewhere by rand_chacha; the tests hold the two to the same bits.

use super::chacha8::{Avx2, Uniforms};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The ChaCha key for a seed.
pub fn seed_key(seed: u64) -> [u8; 32] {
    let mut state = seed;
    let mut key = [0u8; 32];
    for chunk in key.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    key
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream id of draw `draw` of node `node` (FNV-1a, then a SplitMix64 finaliser).
pub fn stream_id(node: &str, draw: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in node.bytes().chain([0xff]).chain(draw.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    splitmix64(&mut h)
}

/// Maps 64 random bits to a uniform in the open interval (0, 1).
#[inline]
pub fn to_unit(x: u64) -> f64 {
    // `x >> 11` fits in an i64, and converts exactly either way; the
    // signed conversion is one instruction, the unsigned one a sequence.
    (((x >> 11) as i64) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// Values a lane keeps at hand: one batch of the batch engine, branches
/// `start..start + WINDOW` (`start` a multiple of `WINDOW`), eight ChaCha
/// blocks.
const WINDOW: u64 = 64;
const _: () = assert!(WINDOW == crate::expr::columns::WIDTH as u64);
/// A start no branch index reaches, so an empty window never matches.
const EMPTY: u64 = 1 << 62;

/// The uniforms of one lane for the branches of its window, in branch order.
#[derive(Clone)]
#[repr(align(64))]
pub struct Window(Uniforms);

impl Window {
    /// The uniform of the window's `k`-th branch.
    #[inline]
    pub fn uniform(&self, k: usize) -> f64 {
        self.0[k]
    }

    /// The uniforms of all its branches.
    #[inline]
    pub fn uniforms(&self) -> &Uniforms {
        &self.0
    }
}

/// A window of values per lane, the 64 uniforms of eight ChaCha blocks.
/// Where each window starts is kept apart, in one dense list, so a draw
/// touches that list (a few cache lines for every lane) and the one line
/// of the window holding its value; a refill costs one call of the block
/// function whichever branch it starts from.
#[derive(Clone)]
pub struct Lanes {
    /// Per lane: the first branch of its window (`EMPTY` before any).
    starts: Box<[u64]>,
    windows: Box<[Window]>,
    streams: Box<[u64]>,
    /// The block function: eight blocks at once where the machine has
    /// AVX2, else rand_chacha's (the same values).
    fast: Option<Avx2>,
    rng: ChaCha8Rng,
    draws: u64,
}

impl Lanes {
    pub fn new(seed: u64, streams: &[u64]) -> Self {
        Lanes {
            starts: vec![EMPTY; streams.len()].into(),
            windows: vec![Window([0.5; WINDOW as usize]); streams.len()].into(),
            streams: streams.into(),
            fast: Avx2::new(&seed_key(seed)),
            rng: ChaCha8Rng::from_seed(seed_key(seed)),
            draws: 0,
        }
    }

    /// How many uniforms these lanes have produced.
    pub fn draws(&self) -> u64 {
        self.draws
    }

    /// Counts `n` draws that were read ahead with [`Self::peek`].
    pub fn count(&mut self, n: u64) {
        self.draws += n;
    }

    /// Counts as many draws as `other` has made (the lanes' values are
    /// the same whichever generator reads them).
    pub fn count_as(&mut self, other: &Lanes) {
        self.draws = other.draws;
    }

    /// Takes back `n` draws counted ahead that were not used after all.
    pub fn uncount(&mut self, n: u64) {
        self.draws -= n;
    }

    /// The uniform of `lane` in `branch`.
    #[inline]
    pub fn uniform(&mut self, lane: usize, branch: u64) -> f64 {
        self.draws += 1;
        self.peek(lane, branch)
    }

    /// The uniform of `lane` in `branch`, not counted as a draw.
    #[inline]
    pub fn peek(&mut self, lane: usize, branch: u64) -> f64 {
        let mut offset = branch.wrapping_sub(self.starts[lane]);
        if offset >= WINDOW {
            offset = branch % WINDOW;
            self.refill(lane, branch - offset);
        }
        self.windows[lane].uniform(offset as usize)
    }

    /// The values of `lane` for the branches of the window from `start`
    /// (a multiple of the window's width), not counted as draws.
    #[inline]
    pub fn window(&mut self, lane: usize, start: u64) -> &Window {
        debug_assert!(start % WINDOW == 0);
        if self.starts[lane] != start {
            self.refill(lane, start);
        }
        &self.windows[lane]
    }

    /// Reads the lane's values for the window from `start`: words
    /// `2 start..2 (start + WINDOW)` of its stream, blocks `start / 8..`.
    #[inline(never)]
    fn refill(&mut self, lane: usize, start: u64) {
        let uniforms = &mut self.windows[lane].0;
        match &self.fast {
            Some(fast) => fast.fill(self.streams[lane], start / 8, uniforms),
            None => {
                self.rng.set_stream(self.streams[lane]);
                self.rng.set_word_pos(u128::from(start) * 2);
                let mut bytes = [0; 8 * WINDOW as usize];
                self.rng.fill_bytes(&mut bytes);
                for (u, b) in uniforms.iter_mut().zip(bytes.chunks_exact(8)) {
                    *u = to_unit(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]));
                }
            }
        }
        self.starts[lane] = start;
    }

    /// As [`Self::new`], reading rand_chacha's block function whatever the machine.
    #[cfg(test)]
    fn portable(seed: u64, streams: &[u64]) -> Self {
        Lanes {
            fast: None,
            ..Lanes::new(seed, streams)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_stability() {
        // Pinned: changing these changes every published result.
        let mut lanes = Lanes::new(1, &[stream_id("parameter/x", 0)]);
        assert_eq!(lanes.uniform(0, 0).to_bits(), PINNED[0]);
        assert_eq!(lanes.uniform(0, 1).to_bits(), PINNED[1]);
        assert_eq!(lanes.uniform(0, 1_000_000).to_bits(), PINNED[2]);
        assert_eq!(stream_id("event/e", 3), PINNED[3]);
    }

    const PINNED: [u64; 4] = [
        4606602534670560446,
        4604562092887305636,
        4587710732883638616,
        7209918634296824017,
    ];

    #[test]
    fn both_block_functions_give_the_same_windows() {
        let streams: Vec<u64> = (0..5).map(|d| stream_id("lane", d)).collect();
        let mut fast = Lanes::new(77, &streams);
        let mut portable = Lanes::portable(77, &streams);
        assert!(portable.fast.is_none());
        for lane in 0..streams.len() {
            for branch in (0..200).chain([1 << 40, (1 << 40) + 63, u64::MAX / 2]) {
                assert_eq!(
                    fast.peek(lane, branch).to_bits(),
                    portable.peek(lane, branch).to_bits(),
                    "lane {lane}, branch {branch}"
                );
            }
        }
    }

    #[test]
    fn access_order_does_not_matter() {
        let streams = [stream_id("a", 0), stream_id("b", 0)];
        let mut seq = Lanes::new(42, &streams);
        let forward: Vec<f64> = (0..100).map(|b| seq.uniform(1, b)).collect();
        let mut random = Lanes::new(42, &streams);
        for b in [99u64, 3, 50, 51, 7, 0, 98, 20, 36] {
            assert_eq!(random.uniform(1, b), forward[b as usize], "branch {b}");
            // Interleaving another lane changes nothing.
            random.uniform(0, b);
        }
    }

    #[test]
    fn lanes_and_seeds_differ() {
        let mut l = Lanes::new(7, &[stream_id("a", 0), stream_id("a", 1)]);
        let mut m = Lanes::new(8, &[stream_id("a", 0)]);
        let (a0, a1, b0) = (l.uniform(0, 5), l.uniform(1, 5), m.uniform(0, 5));
        assert!(a0 != a1 && a0 != b0);
        assert!(a0 > 0.0 && a0 < 1.0);
    }
}
