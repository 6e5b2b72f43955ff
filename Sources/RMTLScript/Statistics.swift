import Foundation

/// Summary statistics, Welch's and the paired two-sided t-test for results repeated over seeds.
///
/// Goals in priority order: correct p-values for small samples (n = 2…30), no NaN for degenerate
/// input (returns nil or exact 0/1), no dependencies.
public enum Statistics {
    public static func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }

    /// Sample standard deviation (n − 1 in the denominator); 0 for one value.
    public static func standardDeviation(_ x: [Double]) -> Double {
        guard x.count > 1 else { return 0 }
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }

    /// A t-test's statistic, degrees of freedom and two-sided p-value.
    public struct TTest: Sendable, Equatable {
        public var t: Double
        /// Welch–Satterthwaite degrees of freedom.
        public var degreesOfFreedom: Double
        /// Two-sided p-value.
        public var p: Double
    }

    /// Welch's unequal-variance t-test of mean(a) = mean(b).
    ///
    /// ```
    /// t  = (m_a − m_b) / √(s_a²/n_a + s_b²/n_b)
    /// df = (s_a²/n_a + s_b²/n_b)² / ((s_a²/n_a)²/(n_a−1) + (s_b²/n_b)²/(n_b−1))
    /// p  = 2·P(T_df > |t|) = I_{df/(df+t²)}(df/2, 1/2)
    /// ```
    /// Needs at least 2 values on each side, else nil. With both variances 0 the test is exact:
    /// p = 1 if the means are equal, else 0.
    public static func welch(_ a: [Double], _ b: [Double]) -> TTest? {
        guard a.count >= 2, b.count >= 2 else { return nil }
        let va = pow(standardDeviation(a), 2) / Double(a.count)
        let vb = pow(standardDeviation(b), 2) / Double(b.count)
        let diff = mean(a) - mean(b)
        let se = (va + vb).squareRoot()
        if se == 0 {
            let df = Double(a.count + b.count - 2)
            return TTest(t: diff == 0 ? 0 : (diff > 0 ? .infinity : -.infinity), degreesOfFreedom: df,
                             p: diff == 0 ? 1 : 0)
        }
        let t = diff / se
        let df = (va + vb) * (va + vb) / (va * va / Double(a.count - 1) + vb * vb / Double(b.count - 1))
        return TTest(t: t, degreesOfFreedom: df, p: twoSidedP(t: t, degreesOfFreedom: df))
    }

    /// The paired t-test of mean(a − b) = 0 over n ≥ 2 pairs (a[i] with b[i]):
    /// t = mean(d) / (sd(d)/√n), df = n − 1. With sd(d) = 0 it is exact: p = 1 if mean(d) = 0, else 0.
    public static func pairedT(_ a: [Double], _ b: [Double]) -> TTest? {
        guard a.count == b.count, a.count >= 2 else { return nil }
        let d = zip(a, b).map { $0 - $1 }
        let m = mean(d), se = standardDeviation(d) / Double(d.count).squareRoot()
        let df = Double(d.count - 1)
        if se == 0 { return TTest(t: m == 0 ? 0 : (m > 0 ? .infinity : -.infinity), degreesOfFreedom: df, p: m == 0 ? 1 : 0) }
        let t = m / se
        return TTest(t: t, degreesOfFreedom: df, p: twoSidedP(t: t, degreesOfFreedom: df))
    }

    /// P(|T| > |t|) for Student's t with `df` degrees of freedom.
    public static func twoSidedP(t: Double, degreesOfFreedom df: Double) -> Double {
        if t.isNaN || df.isNaN || df <= 0 { return .nan }
        if t.isInfinite { return 0 }
        let x = df / (df + t * t)
        return min(1, max(0, regularizedIncompleteBeta(x, a: df / 2, b: 0.5)))
    }

    /// Student-t cumulative distribution P(T ≤ t).
    public static func studentTCDF(_ t: Double, degreesOfFreedom df: Double) -> Double {
        let tail = twoSidedP(t: t, degreesOfFreedom: df) / 2
        return t >= 0 ? 1 - tail : tail
    }

    /// The regularized incomplete beta function I_x(a, b), by its continued fraction
    /// (modified Lentz; Numerical Recipes §6.4), using the symmetry I_x(a,b) = 1 − I_{1−x}(b,a)
    /// where the fraction converges faster. Relative accuracy about 1e-14 for a, b ≤ 1e4.
    public static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        let front = exp(logFront)
        if x < (a + 1) / (a + b + 2) {
            return front * betaContinuedFraction(x, a: a, b: b) / a
        }
        return 1 - front * betaContinuedFraction(1 - x, a: b, b: a) / b
    }

    private static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300, epsilon = 1e-15
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return h
    }
}
