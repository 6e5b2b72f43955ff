import Testing
import RMTL

@Suite("Metrics against hand-computed values") struct MetricsTests {
    @Test func aucCountsPairs() {
        // Positives 0.8, 0.4; negatives 0.3, 0.5, 0.1: pairs won 3 + 2 = 5 of 6.
        #expect(auc(scores: [0.8, 0.3, 0.4, 0.5, 0.1], labels: [1, 0, 1, 0, 0]) == 5.0 / 6.0)
    }

    @Test func aucTiesCountHalf() {
        // Every positive ties one negative at 0.5 and beats the other (0.2): (1 + 0.5) per positive.
        #expect(auc(scores: [0.5, 0.5, 0.2, 0.5], labels: [1, 0, 0, 1]) == 0.75)
        #expect(auc(scores: [0.3, 0.3, 0.3, 0.3], labels: [1, 0, 1, 0]) == 0.5)
    }

    @Test func aucOneClassIsUndefined() {
        #expect(auc(scores: [0.1, 0.9], labels: [1, 1]).isNaN)
        #expect(auc(scores: [0.1, 0.9], labels: [0, 0]).isNaN)
    }

    @Test func logLossIsMeanBCE() {
        let p: [Float] = [0.9, 0.2, 0.6]
        let expected = -(log(0.9) + log(0.8) + log(0.4)) / 3.0
        #expect(abs(logLoss(probabilities: p, labels: [1, 0, 0]) - expected) < 1e-6)
    }

    @Test func logLossClampsAt100() {
        // p = 0 for a positive: ln 0 = −inf, clamped at −100 as PyTorch does.
        #expect(logLoss(probabilities: [0], labels: [1]) == 100)
        #expect(logLoss(probabilities: [1], labels: [0]) == 100)
    }

    @Test func sessionLogLossWeighsSessionsEqually() {
        // Session 7: one row, loss −ln 0.5. Session 3: three rows, losses −ln 0.9, −ln 0.9, −ln 0.9.
        let p: [Float] = [0.5, 0.9, 0.9, 0.1]
        let s = sessionLogLoss(probabilities: p, labels: [1, 1, 1, 0], sessions: [7, 3, 3, 3])
        let expected = (-log(0.5) + -log(0.9)) / 2
        #expect(abs(s - expected) < 1e-6)
        // One session: equals the plain logloss.
        let one = sessionLogLoss(probabilities: p, labels: [1, 1, 1, 0], sessions: [1, 1, 1, 1])
        #expect(abs(one - logLoss(probabilities: p, labels: [1, 1, 1, 0])) < 1e-9)
    }
}

private func log(_ x: Double) -> Double { Foundation_log(x) }
@_silgen_name("log") private func Foundation_log(_ x: Double) -> Double
