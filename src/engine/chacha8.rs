//! ChaCha8 keystream eight blocks at a time, laid out word by word, for
//! the lane windows of `rng` on x86-64 machines with AVX2. Its output is
//! rand_chacha's `ChaCha8Rng` to the bit (the tests compare them); where
//! AVX2 is missing, `rng` reads rand_chacha itself.
//!
//! Why not rand_chacha alone: a lane window is eight blocks at a seek, and
//! through `ChaCha8Rng` each window pays for two seeks, two calls of its
//! four-block function and a copy; eight blocks side by side in 256-bit
//! registers (one register per word, one lane per block) take about two
//! thirds of the instructions and none of the seeks.

/// Eight consecutive ChaCha blocks, word-sliced: `rows[w][j]` is word `w`
/// of block `j`.
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

    /// Blocks `block..block + 8` of stream `stream` (rand_chacha's stream
    /// id, the last two words of the state; the block counter is the two
    /// before, one 64-bit number).
    #[inline]
    pub fn fill(&self, stream: u64, block: u64, out: &mut Rows) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Avx2` is only made where the CPU has AVX2 (`new`).
        unsafe {
            x86::fill(&self.key, stream, block, out)
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
    use super::Rows;
    use std::arch::x86_64::*;

    /// "expand 32-byte k", the first four words of every block.
    const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

    /// The block function on eight blocks at once, one 256-bit register
    /// per word of the state (a lane per block).
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn fill(key: &[u32; 8], stream: u64, block: u64, out: &mut Rows) {
        let counter = |j: u64| block.wrapping_add(j);
        let (lo, hi) = (|j| counter(j) as u32 as i32, |j| (counter(j) >> 32) as u32 as i32);
        // SAFETY: the CPU has AVX2 (the caller's promise); the stores
        // write the 32 bytes of one row of `out`.
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
            for ((row, x), input) in out.iter_mut().zip(x).zip(input) {
                _mm256_storeu_si256(row.as_mut_ptr().cast(), _mm256_add_epi32(x, input));
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
                fast.fill(stream, block, &mut got);
                assert_eq!(got, want, "AVX2, case {case}: block {block}");
                compared += 1;
            }
        }
        assert_eq!(compared, if avx2 { 200 } else { 0 });
    }
}
