import Foundation

/// A small, dependency-free SVG line chart: axes with rounded ticks, one polyline per series,
/// a legend. Output is deterministic (same input, same bytes) and self-contained.
public struct SVGChart {
    public struct Series {
        public var name: String
        public var points: [(Double, Double)]
        public init(name: String, points: [(Double, Double)]) {
            self.name = name
            self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 640.0
    public var height = 360.0
    /// Reliability charts: both axes share one range starting at 0 and a dashed y = x line marks
    /// perfect calibration.
    public var isCalibration = false

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// Tick positions covering lo…hi at a 1-2-5 step, about `count` of them; whole numbers only
    /// when `whole` (epochs: no tick at 1.5).
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5, whole: Bool = false) -> [Double] {
        guard hi > lo, (hi - lo).isFinite else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let mag = pow(10, floor(log10(raw)))
        var step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        if whole { step = max(step, 1) }
        var t = (lo / step).rounded(.up) * step
        var out: [Double] = []
        while t <= hi + step * 1e-9, out.count < 50 {
            out.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func label(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e6 { return String(Int(v)) }
        return String(format: "%.4g", v)
    }

    public func render() -> String {
        let all = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
        var xMin = all.map(\.0).min() ?? 0, xMax = all.map(\.0).max() ?? 1
        var yMin = all.map(\.1).min() ?? 0, yMax = all.map(\.1).max() ?? 1
        if isCalibration {
            xMin = 0; yMin = 0
            xMax = min(1, max(xMax, yMax) * 1.1); yMax = xMax
        }
        if xMax == xMin { xMin -= 1; xMax += 1 }
        if yMax == yMin { let d = max(abs(yMin) * 0.05, 1e-6); yMin -= d; yMax += d }
        if !isCalibration {
            let pad = (yMax - yMin) * 0.05
            yMin -= pad; yMax += pad
        }
        // the legend is as wide as its longest name (about 7 px a character at 12 px)
        let legend = max(150, 50 + 7 * Double(series.map(\.name.count).max() ?? 0))
        let width = self.width - 150 + legend
        let left = 64.0, right = width - legend, top = 36.0, bottom = height - 44
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - yMin) / (yMax - yMin) * (bottom - top) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(SVGChart.escape(title))</text>\n"
        for t in SVGChart.ticks(yMin, yMax) {
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(right))\" y2=\"\(f(py(t)))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(SVGChart.label(t))</text>\n"
        }
        for t in SVGChart.ticks(xMin, xMax, whole: all.allSatisfy { $0.0 == $0.0.rounded() }) {
            s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(bottom))\" x2=\"\(f(px(t)))\" y2=\"\(f(bottom + 4))\" stroke=\"#333\"/>"
            s += "<text x=\"\(f(px(t)))\" y=\"\(f(bottom + 18))\" text-anchor=\"middle\">\(SVGChart.label(t))</text>\n"
        }
        s += "<polyline points=\"\(f(left)),\(f(top)) \(f(left)),\(f(bottom)) \(f(right)),\(f(bottom))\" fill=\"none\" stroke=\"#333\"/>\n"
        s += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(SVGChart.escape(xLabel))</text>\n"
        s += "<text x=\"14\" y=\"\(f((top + bottom) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f((top + bottom) / 2)))\">\(SVGChart.escape(yLabel))</text>\n"
        if isCalibration {
            let end = min(xMax, yMax)
            s += "<line x1=\"\(f(px(0)))\" y1=\"\(f(py(0)))\" x2=\"\(f(px(end)))\" y2=\"\(f(py(end)))\" "
                + "stroke=\"#888\" stroke-dasharray=\"5,4\"/>\n"
            let ly = top + 8 + Double(series.count) * 18
            s += "<line x1=\"\(f(right + 14))\" y1=\"\(f(ly))\" x2=\"\(f(right + 34))\" y2=\"\(f(ly))\" stroke=\"#888\" stroke-dasharray=\"5,4\"/>"
            s += "<text x=\"\(f(right + 40))\" y=\"\(f(ly + 4))\">perfectly calibrated</text>\n"
        }
        for (i, series) in series.enumerated() {
            let color = SVGChart.colors[i % SVGChart.colors.count]
            let pts = series.points.filter { $0.0.isFinite && $0.1.isFinite }
            let list = pts.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
            s += "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            for p in pts where pts.count <= 60 {
                s += "<circle cx=\"\(f(px(p.0)))\" cy=\"\(f(py(p.1)))\" r=\"2.5\" fill=\"\(color)\"/>"
            }
            let ly = top + 8 + Double(i) * 18
            s += "\n<line x1=\"\(f(right + 14))\" y1=\"\(f(ly))\" x2=\"\(f(right + 34))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            s += "<text x=\"\(f(right + 40))\" y=\"\(f(ly + 4))\">\(SVGChart.escape(series.name))</text>\n"
        }
        s += "</svg>"
        return s
    }
}
