/// Fully connected layer: `y = x · Wᵀ + b`.
///
/// Shapes (row-major): `x` (batch, inputCount), `y` (batch, outputCount), `weight` (outputCount,
/// inputCount) as PyTorch stores it, `bias` (outputCount). Initialised as PyTorch's `nn.Linear`:
/// weight `kaiming_uniform_(a=√5)` = U(±1/√inputCount), bias U(±1/√inputCount).
/// `backward` adds into the parameter gradients; `dInput` is overwritten or added to, as asked.
public final class Linear {
    public let inputCount: Int
    public let outputCount: Int
    public let weight: Parameter
    public let bias: Parameter

    /// Reserves `weight` and `bias` under the builder's current scope.
    public init(_ builder: inout ModelBuilder, inputCount: Int, outputCount: Int) {
        self.inputCount = inputCount
        self.outputCount = outputCount
        weight = builder.parameter("weight", shape: [outputCount, inputCount], .uniformFanIn(inputCount))
        bias = builder.parameter("bias", shape: [outputCount], .uniformFanIn(inputCount))
    }

    /// A layer over parameters reserved elsewhere (a fused group of experts).
    public init(weight: Parameter, bias: Parameter, inputCount: Int, outputCount: Int) {
        precondition(weight.count == inputCount * outputCount && bias.count == outputCount)
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.weight = weight
        self.bias = bias
    }

    var weightMatrix: Matrix { Matrix(weight.value, rows: outputCount, columns: inputCount) }
    var weightGradient: Matrix { Matrix(weight.gradient, rows: outputCount, columns: inputCount) }

    public func forward(_ x: Matrix, into y: Matrix) {
        setRows(y, to: bias.value)                                  // y  = b
        gemm(x, weightMatrix, transposeB: true, into: y, beta: 1)  // y += x · Wᵀ
    }

    public func backward(input x: Matrix, dOutput dy: Matrix, dInput dx: Matrix?, accumulate: Bool = true) {
        gemm(dy, transposeA: true, x, into: weightGradient, beta: 1)         // dW += dyᵀ · x
        addColumnSums(of: dy, into: bias.gradient)                           // db += Σ_batch dy
        if let dx { gemm(dy, weightMatrix, into: dx, beta: accumulate ? 1 : 0) }  // dx (+)= dy · W
    }

    /// Multiply-adds of one forward row, for FLOP counts.
    public var flopsPerRow: Double { 2 * Double(inputCount * outputCount) }
}
