/// One bin of a reliability (calibration) chart.
public struct CalibrationBin: Sendable, Equatable {
    /// Mean predicted probability of the bin's rows.
    public var meanPrediction: Double
    /// Fraction of the bin's rows whose label is 1.
    public var observedRate: Double
    public var rows: Int
}

/// Reliability bins of one task: rows sorted by predicted probability and cut into `bins` groups of
/// (nearly) equal size, so every point rests on as many rows as the others (CTR predictions crowd
/// near 0, where equal-width bins would leave most of the chart empty). Each bin gives its mean
/// prediction and its observed positive rate; a calibrated model lies on the diagonal.
/// Fewer rows than `bins` give one bin per row.
public func calibrationBins(probabilities p: [Float], labels y: [Float], bins: Int = 10) -> [CalibrationBin] {
    precondition(p.count == y.count && bins > 0)
    let order = p.indices.sorted { p[$0] < p[$1] }
    let k = min(bins, order.count)
    return (0..<k).map { b in
        let range = (b * order.count / k)..<((b + 1) * order.count / k)
        var sumP = 0.0, positives = 0.0
        for i in range {
            sumP += Double(p[order[i]])
            positives += y[order[i]] > 0.5 ? 1 : 0
        }
        let n = Double(range.count)
        return CalibrationBin(meanPrediction: sumP / n, observedRate: positives / n, rows: range.count)
    }
}

/// Expected calibration error of `bins`: Σ (rows/N)·|observed − predicted|.
public func expectedCalibrationError(_ bins: [CalibrationBin]) -> Double {
    let total = Double(bins.reduce(0) { $0 + $1.rows })
    guard total > 0 else { return .nan }
    return bins.reduce(0) { $0 + Double($1.rows) / total * abs($1.observedRate - $1.meanPrediction) }
}
