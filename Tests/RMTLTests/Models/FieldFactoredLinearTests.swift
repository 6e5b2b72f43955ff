import Foundation
import RMTL
import Testing

/// `FieldFactoredLinear` against the dense `Linear` it replaces, on an embedding's output whose
/// fields repeat ids to different degrees: one field factored with 3 ids, one with ~30, one left
/// dense (~55 distinct of 64 rows), next to the dense numeric slot.
@Suite struct FieldFactoredLinearTests {
    let rows = 64, d = 8, out = 24
    let cardinalities = [3, 40, 200]

    /// Outputs, weight and bias gradients, the table gradient the embedding makes of `dInput`
    /// (which is per id in factored slots) and the numeric slot's per-row `dInput` all match the
    /// dense layer to rounding, with `dInput` overwritten and accumulated.
    @Test(arguments: [false, true]) func matchesTheDenseLayer(accumulate: Bool) throws {
        var b = ModelBuilder(capacity: rows)
        let embedding = FeatureEmbedding(&b, cardinalities: cardinalities, embedDim: d, numericCount: 1)
        let linear = b.scoped("layer") { Linear(&$0, inputCount: 4 * d, outputCount: out) }
        let values = FloatBuffer(count: b.layout.count), gradients = FloatBuffer(count: b.layout.count)
        var rng = RandomGenerator(seed: 7)
        b.layout.initialize(values.base, rng: &rng)
        b.slabs.bind(values: values, gradients: gradients)
        let factored = FieldFactoredLinear(linear, fieldCount: 3, embedDim: d, capacity: rows)

        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: rows * 3)
        defer { ids.deallocate() }
        for r in 0..<rows { for j in 0..<3 { ids[r * 3 + j] = Int32(rng.nextInt(below: cardinalities[j])) } }
        let numeric = Activation(capacity: rows, columns: 1)
        for r in 0..<rows { numeric.matrix(rows: rows)[r, 0] = rng.nextNormal() }
        let batch = BatchInput(ids: ids, fieldCount: 3, numeric: numeric.matrix(rows: rows))
        let groups = FieldGroups(fieldCount: 3, capacity: rows)
        groups.find(batch)
        #expect(groups.isFactored(0) && groups.isFactored(1) && !groups.isFactored(2), "\(groups.counts)")
        for j in 0..<3 { #expect(groups.counts[j] == Set((0..<rows).map { ids[$0 * 3 + j] }).count) }

        let x = embedding.forward(batch)
        let dense = Activation(capacity: rows, columns: out), split = Activation(capacity: rows, columns: out)
        linear.forward(x, into: dense.matrix(rows: rows))
        factored.forward(x, groups: groups, into: split.matrix(rows: rows))
        expectClose(split.matrix(rows: rows).array, dense.matrix(rows: rows).array, "output")

        let dy = Activation(capacity: rows, columns: out)
        for i in 0..<(rows * out) { dy.buffer.base[i] = rng.nextNormal() }
        func backward(_ body: (Matrix) -> Void) -> (parameters: [Float], numericSlot: [Float]) {
            gradients.zero()
            let dx = Activation(capacity: rows, columns: 4 * d)
            for i in 0..<(rows * 4 * d) { dx.buffer.base[i] = 0.5 }     // what accumulate adds to
            body(dx.matrix(rows: rows))
            embedding.backward(batch, dOutput: dx.matrix(rows: rows))
            return (gradients.array, dx.matrix(rows: rows).columns(3 * d, d).array)
        }
        let reference = backward { linear.backward(input: x, dOutput: dy.matrix(rows: rows), dInput: $0, accumulate: accumulate) }
        let result = backward {
            factored.backward(input: x, groups: groups, dOutput: dy.matrix(rows: rows), dInput: $0, accumulate: accumulate)
        }
        expectClose(result.parameters, reference.parameters, "parameter gradients (weight, bias, table, numeric layer)")
        expectClose(result.numericSlot, reference.numericSlot, "numeric slot of dInput")
    }

    func expectClose(_ a: [Float], _ b: [Float], _ what: String) {
        #expect(a.count == b.count)
        let scale = max(b.map { abs($0) }.max() ?? 0, 1e-6)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5 * scale, "\(what): worst difference \(worst) at scale \(scale)")
    }
}
