import Foundation

/// Zipf's law over `0..<count` (outcome k weighted 1 / (k + 1)^s), drawn by inverse CDF: the
/// popularity curves of the synthetic generators.
struct ZipfDistribution: Sendable {
    /// `cdf[k]`: the probability of an outcome ≤ k.
    let cdf: [Double]

    init(count: Int, exponent s: Double) {
        var cdf = [Double](repeating: 0, count: count), sum = 0.0
        for k in 0..<count {
            sum += 1 / pow(Double(k + 1), s)
            cdf[k] = sum
        }
        self.cdf = cdf.map { $0 / sum }
    }

    /// The probability of outcome `k`.
    func probability(_ k: Int) -> Double { cdf[k] - (k > 0 ? cdf[k - 1] : 0) }

    /// One draw: the first outcome whose cdf reaches a uniform of 53 bits from `rng`.
    func draw(_ rng: inout RandomGenerator) -> Int32 {
        let u = Double(rng.next() >> 11) * 0x1p-53
        var lo = 0, hi = cdf.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cdf[mid] < u { lo = mid + 1 } else { hi = mid }
        }
        return Int32(lo)
    }
}
