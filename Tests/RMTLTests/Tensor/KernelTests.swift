import Testing
import RMTL

@Suite("Kernels") struct KernelTests {
    @Test func dropoutKeepsOneMinusPAndRescales() {
        let buffer = FloatBuffer(count: 200_000)
        for i in 0..<buffer.count { buffer.base[i] = 1 }
        var rng = RandomGenerator(seed: 3)
        let x = Matrix(buffer, rows: 1000, columns: 200)
        reluDropoutForward(x, dropout: 0.2, isTraining: true, rng: &rng)
        let values = buffer.array
        let kept = values.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == 1.25 })                              // 1 / (1 − 0.2)
        #expect(abs(Double(kept.count) / 200_000 - 0.8) < 0.005)
    }

    @Test func reluPropagatesNaNAsPyTorchDoes() {
        let buffer = FloatBuffer(count: 40)
        for i in 0..<40 { buffer.base[i] = i % 2 == 0 ? -1 : .nan }
        var rng = RandomGenerator(seed: 1)
        reluDropoutForward(Matrix(buffer, rows: 2, columns: 20), dropout: 0, isTraining: false, rng: &rng)
        #expect(buffer.array.enumerated().allSatisfy { $0.offset % 2 == 0 ? $0.element == 0 : $0.element.isNaN })
    }

    @Test func softmaxRowsSumToOneAndBackwardIsTheJacobian() {
        let s = FloatBuffer(count: 3), d = FloatBuffer(count: 3)
        s.copy(from: [1, 2, 3])
        softmaxRows(Matrix(s, rows: 1, columns: 3))
        let p = s.array
        #expect(abs(p.reduce(0, +) - 1) < 1e-6)
        #expect(abs(p[2] - 0.66524096) < 1e-6)
        d.copy(from: [1, 0, 0])                                                // d loss / d s = e₀
        softmaxBackward(output: Matrix(s, rows: 1, columns: 3), gradient: Matrix(d, rows: 1, columns: 3))
        // ∂s₀/∂z_j = s₀(δ₀ⱼ − s_j)
        let expected = [p[0] * (1 - p[0]), -p[0] * p[1], -p[0] * p[2]]
        for j in 0..<3 { #expect(abs(d.array[j] - expected[j]) < 1e-7) }
    }

    @Test func binaryCrossEntropyAndItsGradient() {
        #expect(abs(binaryCrossEntropy(0.25, 1) - 1.3862944) < 1e-6)          // −ln 0.25
        #expect(abs(binaryCrossEntropy(0.25, 0) - 0.28768207) < 1e-6)         // −ln 0.75
        #expect(abs(binaryCrossEntropyGradient(0.25, 1) - -4) < 1e-5)          // −1/p
        #expect(abs(binaryCrossEntropyGradient(0.25, 0) - 4.0 / 3) < 1e-5)     // 1/(1−p)
    }

    @Test func gemmAgainstHandProduct() {
        let a = FloatBuffer(count: 6), b = FloatBuffer(count: 6), c = FloatBuffer(count: 4)
        a.copy(from: [1, 2, 3, 4, 5, 6])          // 2×3
        b.copy(from: [7, 8, 9, 10, 11, 12])       // 3×2
        gemm(Matrix(a, rows: 2, columns: 3), Matrix(b, rows: 3, columns: 2), into: Matrix(c, rows: 2, columns: 2))
        #expect(c.array == [58, 64, 139, 154])
        // Bᵀ as the second operand: (2×3)·(2×3)ᵀ
        gemm(Matrix(a, rows: 2, columns: 3), Matrix(b, rows: 2, columns: 3), transposeB: true, into: Matrix(c, rows: 2, columns: 2))
        #expect(c.array == [50, 68, 122, 167])
    }
}
