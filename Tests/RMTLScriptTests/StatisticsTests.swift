import Testing
import RMTLScript

// Reference values computed with SciPy 1.17.1 (scipy.stats.t.sf, scipy.special.betainc,
// scipy.stats.ttest_ind(equal_var=False)); see the expressions next to each.
@Suite struct StatisticsTests {
    @Test(arguments: [
        (2.0, 10.0, 0.07338803477074037),              // 2*t.sf(2.0, 10)
        (1.0, 1.0, 0.5),                               // 2*t.sf(1, 1): Cauchy, exactly 1/2
        (3.5, 4.5, 0.020541689969385577),              // non-integer df
        (1.959963984540054, 200.0, 0.051389082033341776),
        (0.1, 3.0, 0.9266523488008059),
        (12.0, 2.2, 0.004783413875517491),
        (2.570581836, 5.0, 0.05),                      // t table: t(0.975, 5)
        (5.840909309, 3.0, 0.01),                      // t table: t(0.995, 3)
    ])
    func twoSidedPValue(t: Double, df: Double, expected: Double) {
        let p = Statistics.twoSidedP(t: t, degreesOfFreedom: df)
        #expect(abs(p - expected) < 1e-9 * max(1, expected) + 1e-9, "p(\(t), \(df)) = \(p), expected \(expected)")
        #expect(abs(Statistics.twoSidedP(t: -t, degreesOfFreedom: df) - p) < 1e-15)
    }

    @Test(arguments: [
        (0.3, 2.5, 0.5, 0.018927124071945658),         // betainc(2.5, 0.5, 0.3)
        (0.4, 10.0, 20.0, 0.7853183897628262),
        (0.9, 0.5, 0.5, 0.7951672353008665),
        (0.0, 2.0, 3.0, 0.0),
        (1.0, 2.0, 3.0, 1.0),
    ])
    func incompleteBeta(x: Double, a: Double, b: Double, expected: Double) {
        let v = Statistics.regularizedIncompleteBeta(x, a: a, b: b)
        #expect(abs(v - expected) < 1e-12, "I_\(x)(\(a), \(b)) = \(v)")
    }

    @Test func studentCDF() {
        // t.cdf(-1.5, 7.3)
        #expect(abs(Statistics.studentTCDF(-1.5, degreesOfFreedom: 7.3) - 0.08778154640154305) < 1e-12)
        #expect(abs(Statistics.studentTCDF(1.5, degreesOfFreedom: 7.3) - (1 - 0.08778154640154305)) < 1e-12)
        #expect(Statistics.studentTCDF(0, degreesOfFreedom: 4) == 0.5)
    }

    @Test func pairedMatchesSciPy() throws {
        // scipy.stats.ttest_rel(a, b)
        let p = try #require(Statistics.pairedT([0.71, 0.73, 0.72, 0.74], [0.70, 0.715, 0.71, 0.735]))
        #expect(abs(p.t - 4.898979485566357) < 1e-9)
        #expect(p.degreesOfFreedom == 3)
        #expect(abs(p.p - 0.016276603459428548) < 1e-9)
        let q = try #require(Statistics.pairedT([1, 2, 3], [1.5, 1.9, 3.6]))
        #expect(abs(q.t - -1.524985703326046) < 1e-9)
        #expect(abs(q.p - 0.26676442489323365) < 1e-9)
        // constant differences: exact; too few or unequal pairs: no test
        #expect(Statistics.pairedT([1, 2], [0, 1])?.p == 0)
        #expect(Statistics.pairedT([1, 2], [1, 2])?.p == 1)
        #expect(Statistics.pairedT([1], [0]) == nil)
        #expect(Statistics.pairedT([1, 2, 3], [0, 1]) == nil)
    }

    @Test func welchMatchesSciPy() throws {
        // ttest_ind([0.729, 0.730, 0.731], [0.7255, 0.726, 0.7265], equal_var=False)
        let w = try #require(Statistics.welch([0.7290, 0.7300, 0.7310], [0.7255, 0.7260, 0.7265]))
        #expect(abs(w.t - 6.196773353931867) < 1e-9)
        #expect(abs(w.degreesOfFreedom - 2.941176470588235) < 1e-9)
        #expect(abs(w.p - 0.008970686501523028) < 1e-9)
        // unequal sizes: ttest_ind([0.70, 0.72, 0.71, 0.69], [0.71, 0.73, 0.75], equal_var=False)
        let u = try #require(Statistics.welch([0.70, 0.72, 0.71, 0.69], [0.71, 0.73, 0.75]))
        #expect(abs(u.t - -1.8898223650461359) < 1e-9)
        #expect(abs(u.degreesOfFreedom - 3.2347188264058677) < 1e-9)
        #expect(abs(u.p - 0.14847134702688541) < 1e-9)
    }

    @Test func degenerateInputs() {
        #expect(Statistics.welch([1], [1, 2]) == nil)
        #expect(Statistics.welch([1, 1], [1, 1])?.p == 1)
        #expect(Statistics.welch([1, 1], [2, 2])?.p == 0)
        #expect(Statistics.standardDeviation([3]) == 0)
        #expect(abs(Statistics.standardDeviation([1, 2, 3, 4]) - 1.2909944487358056) < 1e-15)
    }
}
