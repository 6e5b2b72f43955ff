/// One ReLU + dropout output buffer (an MLP hidden layer, or one layer of an expert stack) and the
/// PyTorch Dropout calls it stands for, so a parity test can replay PyTorch's dropout masks: the
/// frameworks draw different random numbers, so only shared masks make a training-mode forward
/// comparable.
public final class DropoutSite: @unchecked Sendable {
    public let output: Activation
    /// The Dropout modules whose outputs are this buffer's column blocks, in order ("expert.3.mlp.2").
    public let modules: [String]
    /// Which call of those modules in one PyTorch forward (PLE runs a shared expert once per branch).
    public let call: Int
    /// A test hook: a mask (rows × columns, row-major, 0 or 1, at least as many rows as the batch
    /// this replica sees) used instead of random draws. Parity tests give PyTorch's dropout masks.
    package var givenMask: [Float]?
    /// With a given mask, false leaves the ReLU out: `x ← x · mask / (1 − p)`, the network linearised
    /// around the on/off pattern the mask records. Gradient checks freeze every unit's state at θ
    /// this way, so the loss is smooth along a whole line through θ and has the same gradient at θ.
    package var appliesReLU = true

    init(output: Activation, modules: [String], call: Int) {
        self.output = output
        self.modules = modules
        self.call = call
    }

    /// `x ← relu(x) · mask / (1 − p)` in place (`x` is this site's output): the given mask if there is
    /// one, else `reluDropoutForward`'s draw from `rng` (`mask = 1`, no scaling, when not training).
    func forward(_ x: Matrix, dropout p: Float, isTraining: Bool, rng: inout RandomGenerator) {
        guard let mask = givenMask else { return reluDropoutForward(x, dropout: p, isTraining: isTraining, rng: &rng) }
        precondition(mask.count >= x.rows * x.columns, "a given mask is for \(mask.count / x.columns) rows, not \(x.rows)")
        let scale: Float = isTraining && p > 0 ? 1 / (1 - p) : 1
        for r in 0..<x.rows {
            let row = x.row(r)
            for c in 0..<x.columns {
                row[c] = mask[r * x.columns + c] != 0 ? (appliesReLU && row[c] < 0 ? 0 : row[c]) * scale : 0
            }
        }
    }
}
