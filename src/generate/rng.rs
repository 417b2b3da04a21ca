//! The generator's random numbers.

/// A small, fast, seedable generator (SplitMix64): no dependency, same stream everywhere.
/// Also what the fault suite seeds its kill points with.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Uniform in [0, 1).
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub(super) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    /// A value from a mixture of uniform classes `(probability, low, high)`, scaled so that the
    /// mixture's mean is `mean`.
    pub(super) fn heavy_tailed(&mut self, classes: &[(f64, f64, f64)], mean: f64) -> f64 {
        let norm: f64 = classes.iter().map(|(p, lo, hi)| p * (lo + hi) / 2.0).sum();
        let mut u = self.unit();
        for &(p, lo, hi) in classes {
            if u < p {
                return (lo + (hi - lo) * self.unit()) * mean / norm;
            }
            u -= p;
        }
        let (_, lo, hi) = classes[classes.len() - 1];
        (lo + (hi - lo) * self.unit()) * mean / norm
    }
    pub(super) fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFF,
            0x8000 | (b >> 48) & 0x3FFF,
            b & 0xFFFF_FFFF_FFFF
        )
    }
}
