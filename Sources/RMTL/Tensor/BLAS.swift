import CBLAS

/// `C = alpha · op(A) · op(B) + beta · C`, single precision, through OpenBLAS.
///
/// Shapes: op(A) is (m, k), op(B) is (k, n), C is (m, n), all row-major views with their own strides.
/// OpenBLAS runs on one thread: rmtl parallelises across the batch instead (design.md: two OpenBLAS
/// threads hurt the thin gate and tower shapes), and a fixed split keeps results bit-reproducible.
@inline(__always)
public func gemm(
    _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
    into c: Matrix, alpha: Float = 1, beta: Float = 0
) {
    let m = transposeA ? a.columns : a.rows
    let k = transposeA ? a.rows : a.columns
    let n = transposeB ? b.rows : b.columns
    assert((transposeB ? b.columns : b.rows) == k && c.rows == m && c.columns == n, "gemm shape mismatch")
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { c.zero() } else if beta != 1 { for r in 0..<m { scale(c.row(r), n, by: beta) } }
        return
    }
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a.base, Int32(a.stride), b.base, Int32(b.stride),
        beta, c.base, Int32(c.stride))
}

/// Sets OpenBLAS's own thread count (rmtl uses 1; `rmtl bench` may compare).
public func setBLASThreads(_ count: Int) { openblas_set_num_threads(Int32(count)) }

/// Floating-point operations of one `gemm` call: 2·m·n·k.
public func gemmFlops(m: Int, n: Int, k: Int) -> Double { 2 * Double(m) * Double(n) * Double(k) }

@inline(__always)
private func scale(_ p: UnsafeMutablePointer<Float>, _ count: Int, by factor: Float) {
    for i in 0..<count { p[i] *= factor }
}
