import Foundation

/// A progress line for long work: redrawn in place (`\r`) on a terminal, printed as plain lines
/// at most every `plainInterval` seconds otherwise (logs, CI). Engine callbacks feed it.
public final class ProgressReporter {
    public let isTerminal: Bool
    public var plainInterval: Double
    private let write: (String) -> Void
    private var lastPlain: Double = -Double.infinity
    private var lastDraw: Double = -Double.infinity
    private var drawn = false
    private let started = Date()
    /// Set by a notebook: receives the lines instead of `write`, at most every `plainInterval`
    /// seconds (and forced ones), to show in place; `finish` sends nil.
    public var live: ((String?) -> Void)?

    public init(isTerminal: Bool, plainInterval: Double = 10, write: @escaping (String) -> Void) {
        self.isTerminal = isTerminal
        self.plainInterval = plainInterval
        self.write = write
    }

    /// `epoch 3/1000  step 120/412  51.2k rows/s  loss 0.2031  epoch ETA 4m12s  all epochs ~2d3h`.
    /// With several epochs, `eta` is the current epoch's and `totalETA` the estimate for every
    /// epoch left at the current rate (early stopping may end sooner); one epoch says `ETA`.
    public static func line(epoch: Int?, epochs: Int?, step: Int?, steps: Int?, rowsPerSecond: Double?,
                            loss: Double?, eta: Double?, totalETA: Double? = nil) -> String {
        var parts: [String] = []
        if let epoch { parts.append("epoch \(epoch)" + (epochs.map { "/\($0)" } ?? "")) }
        if let step { parts.append("step \(step)" + (steps.map { "/\($0)" } ?? "")) }
        if let r = rowsPerSecond { parts.append(formatRate(r) + " rows/s") }
        if let loss { parts.append(String(format: "loss %.4f", loss)) }
        let severalEpochs = (epochs ?? 1) > 1
        if let eta, eta.isFinite { parts.append((severalEpochs ? "epoch ETA " : "ETA ") + formatETA(eta)) }
        if severalEpochs, let totalETA, totalETA.isFinite { parts.append("all epochs ~" + formatETA(totalETA)) }
        return parts.joined(separator: "  ")
    }

    static func formatRate(_ r: Double) -> String {
        if r >= 1e6 { return String(format: "%.2fM", r / 1e6) }
        if r >= 1e3 { return String(format: "%.1fk", r / 1e3) }
        return String(format: "%.0f", r)
    }

    static func formatETA(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t >= 86400 { return "\(t / 86400)d\((t % 86400) / 3600)h" }
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", (t % 3600) / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }

    /// Shows `text` now (terminal, at most 20 redraws a second) or when the interval has passed
    /// (plain). `force` prints a plain line regardless (epoch ends).
    public func update(_ text: String, force: Bool = false) {
        let now = Date().timeIntervalSince(started)
        if let live {
            if force || now - lastPlain >= plainInterval {
                lastPlain = now
                live(text)
            }
        } else if isTerminal {
            if !force, now - lastDraw < 0.05 { return }
            lastDraw = now
            write("\r\u{1B}[K" + text)
            drawn = true
        } else if force || now - lastPlain >= plainInterval {
            lastPlain = now
            write(text + "\n")
        }
    }

    /// Ends the line on a terminal so later output starts on a fresh line.
    public func finish() {
        if let live { return live(nil) }
        if isTerminal, drawn {
            write("\r\u{1B}[K")
            drawn = false
        }
    }
}
