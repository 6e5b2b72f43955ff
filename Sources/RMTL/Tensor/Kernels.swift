import RealModule

// Elementwise and row kernels, in SIMD16 where the loop is hot. Shapes are given per function;
// every function works on row-major views with strides. Backward kernels *add* into gradients.

// MARK: - ReLU + dropout (the MLP hidden unit)

/// In place: `x ← relu(x) · mask / (1 − p)`, with `mask ~ Bernoulli(1 − p)` drawn from `rng`
/// (24-bit uniforms; two per 64-bit draw). With `p == 0` or not training it is a plain ReLU.
///
/// The backward pass needs only the output: the gradient passes where the output is positive
/// (PyTorch's ReLU has gradient 0 at 0, and a dropped unit is 0), scaled by `1/(1−p)`.
public func reluDropoutForward(_ x: Matrix, dropout p: Float, isTraining: Bool, rng: inout RandomGenerator) {
    let n = x.columns
    let zero = SIMD16<Float>(repeating: 0)
    if !isTraining || p == 0 {
        for r in 0..<x.rows {
            let row = x.row(r)
            var i = 0
            while i + 16 <= n {
                let v = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(row + i).storeBytes(of: v.replacing(with: zero, where: v .< zero), as: SIMD16<Float>.self)
                i += 16
            }
            while i < n { if row[i] < 0 { row[i] = 0 }; i += 1 }
        }
        return
    }
    let scale = 1 / (1 - p)
    let threshold = UInt32(Double(p) * 16_777_216)  // keep when 24-bit uniform ≥ p·2^24
    // `a < 0 ? 0 : a` keeps a NaN (as PyTorch's ReLU does), so a poisoned input reaches the loss
    // check instead of vanishing here.
    for r in 0..<x.rows {
        let row = x.row(r)
        var i = 0
        while i + 1 < n {
            let bits = rng.next()
            let keep0 = UInt32(truncatingIfNeeded: bits >> 40) >= threshold
            let keep1 = UInt32(truncatingIfNeeded: (bits >> 8) & 0xFF_FFFF) >= threshold
            let a = row[i], b = row[i + 1]
            row[i] = keep0 ? (a < 0 ? 0 : a) * scale : 0
            row[i + 1] = keep1 ? (b < 0 ? 0 : b) * scale : 0
            i += 2
        }
        if i < n {
            let keep = UInt32(truncatingIfNeeded: rng.next() >> 40) >= threshold
            row[i] = keep ? (row[i] < 0 ? 0 : row[i]) * scale : 0
        }
    }
}

/// In place on `dy`: `dy ← y > 0 ? dy · scale : 0` where `y` is the forward output.
public func reluDropoutBackward(output y: Matrix, gradient dy: Matrix, scale: Float) {
    precondition(y.rows == dy.rows && y.columns == dy.columns)
    let n = y.columns
    let zero = SIMD16<Float>(repeating: 0)
    for r in 0..<y.rows {
        let yr = y.row(r), dr = dy.row(r)
        var i = 0
        while i + 16 <= n {
            let yv = UnsafeRawPointer(yr + i).loadUnaligned(as: SIMD16<Float>.self)
            let dv = UnsafeRawPointer(dr + i).loadUnaligned(as: SIMD16<Float>.self) * scale
            UnsafeMutableRawPointer(dr + i).storeBytes(of: zero.replacing(with: dv, where: yv .> zero), as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { dr[i] = yr[i] > 0 ? dr[i] * scale : 0; i += 1 }
    }
}

// MARK: - Bias and reductions

/// Sets every row of `y` to `bias` (length `y.columns`).
public func setRows(_ y: Matrix, to bias: UnsafePointer<Float>) {
    for r in 0..<y.rows { y.row(r).update(from: bias, count: y.columns) }
}

/// `sums[c] += Σ_r x[r, c]`, rows added in order (deterministic).
public func addColumnSums(of x: Matrix, into sums: UnsafeMutablePointer<Float>) {
    let n = x.columns
    var i = 0
    while i + 16 <= n {
        var acc = SIMD16<Float>(repeating: 0)
        for r in 0..<x.rows { acc += UnsafeRawPointer(x.row(r) + i).loadUnaligned(as: SIMD16<Float>.self) }
        let old = UnsafeRawPointer(sums + i).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(sums + i).storeBytes(of: old + acc, as: SIMD16<Float>.self)
        i += 16
    }
    while i < n {
        var acc: Float = 0
        for r in 0..<x.rows { acc += x.row(r)[i] }
        sums[i] += acc
        i += 1
    }
}

/// `Σ a[i]·b[i]` over `count` elements, 16 lanes at a time.
@inline(__always)
public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var i = 0
    while i + 16 <= count {
        acc.addProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self),
                       UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self))
        i += 16
    }
    var s = acc.sum()
    while i < count { s += a[i] * b[i]; i += 1 }
    return s
}

/// `y[i] += alpha · x[i]` over `count` elements.
@inline(__always)
public func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
    let a = SIMD16<Float>(repeating: alpha)
    var i = 0
    while i + 16 <= count {
        var v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
        v.addProduct(a, UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self))
        UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD16<Float>.self)
        i += 16
    }
    while i < count { y[i] += alpha * x[i]; i += 1 }
}

/// `y[i] += x[i]` over `count` elements.
@inline(__always)
public func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i + 16 <= count {
        let v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
            + UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD16<Float>.self)
        i += 16
    }
    while i < count { y[i] += x[i]; i += 1 }
}

// MARK: - Sigmoid and softmax

/// `σ(x) = 1 / (1 + e^(−x))`, computed as PyTorch does for Float (no clamping needed: e^(−x)
/// overflows to +inf for very negative x, giving exactly 0).
@inline(__always)
public func sigmoid(_ x: Float) -> Float { 1 / (1 + Float.exp(-x)) }

/// Row-wise softmax in place over `x.columns` entries, max-subtracted for stability.
public func softmaxRows(_ x: Matrix) {
    for r in 0..<x.rows {
        let row = x.row(r)
        var m = row[0]
        for i in 1..<x.columns { m = Swift.max(m, row[i]) }
        var s: Float = 0
        for i in 0..<x.columns { let e = Float.exp(row[i] - m); row[i] = e; s += e }
        let inv = 1 / s
        for i in 0..<x.columns { row[i] *= inv }
    }
}

/// Softmax backward in place on `ds`: `dz_i = s_i · (ds_i − Σ_j s_j·ds_j)`, `s` the forward output.
public func softmaxBackward(output s: Matrix, gradient ds: Matrix) {
    for r in 0..<s.rows {
        let sr = s.row(r), dr = ds.row(r)
        var inner: Float = 0
        for i in 0..<s.columns { inner += sr[i] * dr[i] }
        for i in 0..<s.columns { dr[i] = sr[i] * (dr[i] - inner) }
    }
}

// MARK: - Binary cross-entropy, as PyTorch's F.binary_cross_entropy

/// `−(y·max(ln p, −100) + (1−y)·max(ln(1−p), −100))`: PyTorch clamps each log at −100, so a loss
/// never exceeds 100 even for p = 0 or 1.
@inline(__always)
public func binaryCrossEntropy(_ p: Float, _ y: Float) -> Float {
    let logP = Swift.max(Float.log(p), -100)
    let log1mP = Swift.max(Float.log(1 - p), -100)
    return -(y * logP + (1 - y) * log1mP)
}

/// d BCE / d p as PyTorch's backward computes it: `(p − y) / max(p·(1−p), 1e-12)`.
@inline(__always)
public func binaryCrossEntropyGradient(_ p: Float, _ y: Float) -> Float {
    (p - y) / Swift.max((1 - p) * p, 1e-12)
}
