//! ChaCha8 keystream eight blocks at a time, turned into the 64 uniforms
//! of a lane window of `rng`, on x86-64 machines with AVX2. Its blocks are
//! rand_chacha's `ChaCha8Rng` to the bit, and its uniforms `rng::to_unit`'s
//! (the tests compare them); where AVX2 is missing, `rng` reads rand_chacha
//! itself.
//!
//! Why not rand_chacha alone: a lane window is eight blocks at a seek, and
//! through `ChaCha8Rng` each window pays for two seeks, two calls of its
//! four-block function and a copy; eight blocks side by side in 256-bit
//! registers (one register per word, one lane per block) take about two
//! thirds of the instructions and none of the seeks. The uniforms are made
//! in the same registers, four at a time, and stored in branch order, so
//! that reading one is a load and comparing a window with a column of
//! chances is a vector loop.

/// The uniforms of a window's 64 branches, in branch order.
pub type Uniforms = [f64; 64];

/// Eight consecutive ChaCha blocks, word-sliced: `rows[w][j]` is word `w`
/// of block `j`.
#[cfg(test)]
pub type Rows = [[u32; 8]; 16];

/// The block function, run where the machine has AVX2 (none exists elsewhere).
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone)]
pub struct Avx2 {
    key: [u32; 8],
}

#[cfg(not(target_arch = "x86_64"))]
#[derive(Debug, Clone)]
pub enum Avx2 {}

impl Avx2 {
    /// `None` where the machine is not x86-64 or has no AVX2.
    pub fn new(key: &[u8; 32]) -> Option<Avx2> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let mut words = [0; 8];
            for (w, bytes) in words.iter_mut().zip(key.chunks_exact(4)) {
                *w = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            }
            return Some(Avx2 { key: words });
        }
        let _ = key;
        None
    }

    /// The uniforms of blocks `block..block + 8` of stream `stream`
    /// (rand_chacha's stream id, the last two words of the state; the block
    /// counter is the two before, one 64-bit number): branch `k` of the
    /// window reads words `2 (k % 8)` and `2 (k % 8) + 1` of block `k / 8`
    /// as one `u64`, low word first, mapped by `rng::to_unit`.
    #[inline]
    pub fn fill(&self, stream: u64, block: u64, out: &mut Uniforms) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Avx2` is only made where the CPU has AVX2 (`new`).
        unsafe {
            x86::uniforms(&self.key, stream, block, out)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (stream, block, out);
            match *self {}
        }
    }

    /// The blocks themselves, word-sliced.
    #[cfg(test)]
    fn rows(&self, stream: u64, block: u64, out: &mut Rows) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in `fill`.
        unsafe {
            x86::rows(&self.key, stream, block, out)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (stream, block, out);
            match *self {}
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Uniforms;
    use std::arch::x86_64::*;

    /// "expand 32-byte k", the first four words of every block.
    const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

    /// The block function on eight blocks at once, one 256-bit register
    /// per word of the state (a lane per block).
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn blocks(key: &[u32; 8], stream: u64, block: u64) -> [__m256i; 16] {
        let counter = |j: u64| block.wrapping_add(j);
        let (lo, hi) = (|j| counter(j) as u32 as i32, |j| (counter(j) >> 32) as u32 as i32);
        // SAFETY: the CPU has AVX2 (the caller's promise). Toolchains
        // before 1.86 need the block to call intrinsics; later ones do not.
        #[allow(unused_unsafe)]
        unsafe {
            let mut x = [_mm256_setzero_si256(); 16];
            for (row, &word) in x.iter_mut().zip(SIGMA.iter().chain(key)) {
                *row = _mm256_set1_epi32(word as i32);
            }
            x[12] = _mm256_setr_epi32(lo(0), lo(1), lo(2), lo(3), lo(4), lo(5), lo(6), lo(7));
            x[13] = _mm256_setr_epi32(hi(0), hi(1), hi(2), hi(3), hi(4), hi(5), hi(6), hi(7));
            x[14] = _mm256_set1_epi32(stream as u32 as i32);
            x[15] = _mm256_set1_epi32((stream >> 32) as u32 as i32);
            let input = x;
            // Rotations by 16 and 8 bits move whole bytes: one shuffle.
            #[rustfmt::skip]
            let (r16, r8) = (
                _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
                                 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13),
                _mm256_setr_epi8(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14,
                                 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14),
            );
            // A macro rather than a closure, so that it is compiled with AVX2
            // on every supported toolchain.
            macro_rules! quarter {
                ($a:literal, $b:literal, $c:literal, $d:literal) => {
                    x[$a] = _mm256_add_epi32(x[$a], x[$b]);
                    x[$d] = _mm256_shuffle_epi8(_mm256_xor_si256(x[$d], x[$a]), r16);
                    x[$c] = _mm256_add_epi32(x[$c], x[$d]);
                    let t = _mm256_xor_si256(x[$b], x[$c]);
                    x[$b] = _mm256_or_si256(_mm256_slli_epi32::<12>(t), _mm256_srli_epi32::<20>(t));
                    x[$a] = _mm256_add_epi32(x[$a], x[$b]);
                    x[$d] = _mm256_shuffle_epi8(_mm256_xor_si256(x[$d], x[$a]), r8);
                    x[$c] = _mm256_add_epi32(x[$c], x[$d]);
                    let t = _mm256_xor_si256(x[$b], x[$c]);
                    x[$b] = _mm256_or_si256(_mm256_slli_epi32::<7>(t), _mm256_srli_epi32::<25>(t));
                };
            }
            // ChaCha8: four double rounds, a column round then a diagonal round.
            for _ in 0..4 {
                quarter!(0, 4, 8, 12);
                quarter!(1, 5, 9, 13);
                quarter!(2, 6, 10, 14);
                quarter!(3, 7, 11, 15);
                quarter!(0, 5, 10, 15);
                quarter!(1, 6, 11, 12);
                quarter!(2, 7, 8, 13);
                quarter!(3, 4, 9, 14);
            }
            for (x, input) in x.iter_mut().zip(input) {
                *x = _mm256_add_epi32(*x, input);
            }
            x
        }
    }

    /// The uniforms of the blocks (see `Avx2::fill`).
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn uniforms(key: &[u32; 8], stream: u64, block: u64, out: &mut Uniforms) {
        // SAFETY: the CPU has AVX2 (the caller's promise); every store
        // writes four values inside `out` (`8 b + 4 h + 3 < 64`).
        unsafe {
            let x = blocks(key, stream, block);
            // Branches 8 b + j, for j in 4 h..4 h + 4 (h the half), and the
            // blocks b in the order the unpacks leave them.
            for h in 0..2 {
                let (mut low, mut high) = ([_mm256_setzero_pd(); 4], [_mm256_setzero_pd(); 4]);
                for i in 0..4 {
                    let j = 4 * h + i;
                    // Words 2 j and 2 j + 1 side by side: one u64 a block.
                    low[i] = unit(_mm256_unpacklo_epi32(x[2 * j], x[2 * j + 1])); // blocks 0, 1, 4, 5
                    high[i] = unit(_mm256_unpackhi_epi32(x[2 * j], x[2 * j + 1])); // blocks 2, 3, 6, 7
                }
                for (v, blocks) in [(low, [0, 1, 4, 5]), (high, [2, 3, 6, 7])] {
                    // A 4 x 4 transpose: from a register per j to one per block.
                    let (t0, t1) = (_mm256_unpacklo_pd(v[0], v[1]), _mm256_unpackhi_pd(v[0], v[1]));
                    let (t2, t3) = (_mm256_unpacklo_pd(v[2], v[3]), _mm256_unpackhi_pd(v[2], v[3]));
                    let rows = [
                        _mm256_permute2f128_pd::<0x20>(t0, t2),
                        _mm256_permute2f128_pd::<0x20>(t1, t3),
                        _mm256_permute2f128_pd::<0x31>(t0, t2),
                        _mm256_permute2f128_pd::<0x31>(t1, t3),
                    ];
                    for (row, b) in rows.into_iter().zip(blocks) {
                        _mm256_storeu_pd(out.as_mut_ptr().add(8 * b + 4 * h), row);
                    }
                }
            }
        }
    }

    /// Four `u64`s mapped to (0, 1) as `rng::to_unit` maps one:
    /// `((x >> 11) + 0.5) / 2^53`, the integer converted exactly (it has
    /// 53 bits: the high 21 and the low 32 are converted apart and added).
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn unit(x: __m256i) -> __m256d {
        const TWO_84: f64 = (1u128 << 84) as f64;
        const TWO_52: f64 = (1u64 << 52) as f64;
        // SAFETY: the CPU has AVX2 (the caller's promise); as in `blocks`.
        #[allow(unused_unsafe)]
        unsafe {
            let n = _mm256_srli_epi64::<11>(x);
            // 2^84 + high · 2^32, and 2^52 + low, read as doubles; the
            // difference and the sum are exact.
            let high = _mm256_or_si256(_mm256_srli_epi64::<32>(n), _mm256_castpd_si256(_mm256_set1_pd(TWO_84)));
            let low = _mm256_blend_epi32::<0b1010_1010>(n, _mm256_castpd_si256(_mm256_set1_pd(TWO_52)));
            let n = _mm256_add_pd(
                _mm256_sub_pd(_mm256_castsi256_pd(high), _mm256_set1_pd(TWO_84 + TWO_52)),
                _mm256_castsi256_pd(low),
            );
            _mm256_mul_pd(
                _mm256_add_pd(n, _mm256_set1_pd(0.5)),
                _mm256_set1_pd(1.0 / (1u64 << 53) as f64),
            )
        }
    }

    /// `unit` on four values, stored (for the tests).
    #[cfg(test)]
    pub(super) fn units(x: [u64; 4]) -> Option<[f64; 4]> {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return None;
        }
        let mut out = [0.0; 4];
        // SAFETY: the CPU has AVX2 (checked above); the load reads the 32
        // bytes of `x`, the store writes those of `out`.
        unsafe {
            let v = unit(_mm256_loadu_si256(x.as_ptr().cast()));
            _mm256_storeu_pd(out.as_mut_ptr(), v);
        }
        Some(out)
    }

    /// The blocks, word-sliced (for the tests).
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(test)]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn rows(key: &[u32; 8], stream: u64, block: u64, out: &mut super::Rows) {
        // SAFETY: the CPU has AVX2; each store writes one row of `out`.
        unsafe {
            for (row, x) in out.iter_mut().zip(blocks(key, stream, block)) {
                _mm256_storeu_si256(row.as_mut_ptr().cast(), x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// rand_chacha's blocks `block..block + 8` of `stream`, word-sliced.
    fn reference(key: &[u8; 32], stream: u64, block: u64) -> Rows {
        let mut rng = ChaCha8Rng::from_seed(*key);
        rng.set_stream(stream);
        rng.set_word_pos(u128::from(block) * 16);
        let mut rows: Rows = [[0; 8]; 16];
        for n in 0..128 {
            rows[n % 16][n / 16] = rng.next_u32();
        }
        rows
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn uniforms_are_to_units_at_the_edges() {
        // Where `x >> 11` is 0, 1, just under and over 2^52 (from there on
        // `+ 0.5` rounds to even), and at the top.
        let edges = [0, 1, 2047, 2048, (1 << 63) - 1, 1 << 63, u64::MAX, u64::MAX - 2048]
            .into_iter()
            .chain([(1u64 << 52) - 1, 1 << 52, (1 << 52) + 1, (1 << 52) + 2].map(|n| n << 11))
            .chain([0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210, 3 << 62 | 0x7ff, 5 << 59]);
        let edges: Vec<u64> = edges.collect();
        for four in edges.chunks_exact(4) {
            let four = [four[0], four[1], four[2], four[3]];
            if let Some(got) = x86::units(four) {
                for (x, u) in four.into_iter().zip(got) {
                    assert_eq!(u.to_bits(), crate::engine::rng::to_unit(x).to_bits(), "{x:#x}");
                }
            }
        }
        assert_eq!(edges.len() % 4, 0);
    }

    #[test]
    fn eight_blocks_are_rand_chachas() {
        let mut g = ChaCha8Rng::seed_from_u64(8);
        let avx2 = Avx2::new(&[0; 32]).is_some();
        let mut compared = 0;
        for case in 0..200 {
            let mut key = [0u8; 32];
            g.fill_bytes(&mut key);
            let stream = g.next_u64();
            // Counters that carry into the high word, and the wrap at 2^64.
            let block = match case % 4 {
                0 => g.next_u64() >> 20,
                1 => (1 << 32) - 1 - (g.next_u64() % 8),
                2 => u64::MAX - (g.next_u64() % 8),
                _ => g.next_u64() % 1000,
            };
            let want = reference(&key, stream, block);
            if let Some(fast) = Avx2::new(&key) {
                let mut got: Rows = [[0; 8]; 16];
                fast.rows(stream, block, &mut got);
                assert_eq!(got, want, "AVX2, case {case}: block {block}");
                compared += 1;
            }
        }
        assert_eq!(compared, if avx2 { 200 } else { 0 });
    }
}
