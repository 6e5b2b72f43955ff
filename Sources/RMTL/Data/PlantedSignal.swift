/// A small synthetic multi-task dataset with a known, learnable signal, for the quickstart and tests.
///
/// Rows come in sessions (1–`maxSessionLength` rows, time-ordered). Each categorical id carries a
/// hidden score per task; the click logit is the sum of the row's scores plus a session-position
/// effect (later rows in a session click more) and a numeric effect; a conversion additionally needs
/// its own logit, and the second task is click ∧ conversion (CTCVR, as in the paper). So both tasks
/// are learnable from the features, and a model that learns them reaches AUC well above 0.5.
public enum PlantedSignal {
    public static func make(
        rows: Int, cardinalities: [Int] = [100, 50, 20, 3, 30, 10, 10], maxSessionLength: Int = 8,
        seed: UInt64
    ) -> Dataset {
        var rng = RandomGenerator(seed: seed)
        let fields = cardinalities.count
        let clickScore = cardinalities.map { c in (0..<c).map { _ in rng.nextNormal() * 0.9 } }
        let buyScore = cardinalities.map { c in (0..<c).map { _ in rng.nextNormal() * 0.9 } }
        var categorical = [[Int32]](repeating: [], count: fields)
        var numeric: [Float] = [], click: [Float] = [], ctcvr: [Float] = []
        var sessions: [Int32] = [], timestamps: [Int64] = []
        var session: Int32 = 0, time: Int64 = 1_430_000_000_000
        while click.count < rows {
            let length = 1 + rng.nextInt(below: maxSessionLength)
            for position in 0..<min(length, rows - click.count) {
                var zClick: Float = -1.6 + 0.15 * Float(position), zBuy: Float = -0.5
                for f in 0..<fields {
                    // Skewed ids: the square of a uniform favours small ids, like real popularity.
                    let u = rng.nextUniform()
                    let id = min(Int(u * u * Float(cardinalities[f])), cardinalities[f] - 1)
                    categorical[f].append(Int32(id))
                    zClick += clickScore[f][id]
                    zBuy += buyScore[f][id]
                }
                let x = rng.nextNormal()
                numeric.append(x)
                zClick += 0.3 * x
                let clicked = rng.nextUniform() < sigmoid(zClick)
                let bought = clicked && rng.nextUniform() < sigmoid(zBuy)
                click.append(clicked ? 1 : 0)
                ctcvr.append(bought ? 1 : 0)
                sessions.append(session)
                time += Int64(5_000 + rng.nextInt(below: 120_000))
                timestamps.append(time)
            }
            session += 1
            time += Int64(3_600_000 + rng.nextInt(below: 7_200_000))
        }
        return Dataset(
            name: "planted(rows: \(rows), seed: \(seed))", categoricalNames: (0..<fields).map { "f\($0)" },
            categorical: categorical, cardinalities: cardinalities, numericNames: ["x"], numeric: [numeric],
            taskNames: ["ctr", "ctcvr"], labels: [click, ctcvr], sessions: sessions, timestamps: timestamps)
    }

    /// `make` cut by time into train/validation/test (rows are already in time order; sessions may
    /// straddle a boundary, as with a plain time split).
    public static func splits(rows: Int, ratios: (Double, Double) = (0.6, 0.2), seed: UInt64) -> DatasetSplits {
        let data = make(rows: rows, seed: seed)
        let a = Int(Double(rows) * ratios.0), b = a + Int(Double(rows) * ratios.1)
        return DatasetSplits(train: data.rows(0..<a), validation: data.rows(a..<b), test: data.rows(b..<rows))
    }
}
