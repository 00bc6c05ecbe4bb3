import Foundation

/// A line chart as inline SVG (no script, nothing fetched): x in seconds since the start,
/// one or more series with gaps where nothing was measured, a legend, axes with round ticks.
struct LineChart {
    struct Series {
        var name: String
        var color: String
        /// (seconds since start, value); a nil value breaks the line.
        var points: [(x: Double, y: Double?)]
        /// Drawn dashed, so a series that often equals another stays visible.
        var dashed = false
    }

    var title: String
    /// Unit shown on the y axis, e.g. "ms", "calls/s".
    var unit: String
    var series: [Series]
    /// Formats a y tick.
    var format: (Double) -> String = { trimmed($0) }

    static let width = 720.0
    static let height = 250.0
    static let margin = (left: 62.0, right: 16.0, top: 34.0, bottom: 34.0)

    func svg() -> String {
        let plotWidth = Self.width - Self.margin.left - Self.margin.right
        let plotHeight = Self.height - Self.margin.top - Self.margin.bottom
        let xs = series.flatMap { $0.points.map(\.x) }
        let ys = series.flatMap { $0.points.compactMap(\.y) }
        let (xStep, xMax) = timeTicks(upTo: max(1, xs.max() ?? 1))
        let yStep = niceCeiling(max(ys.max() ?? 0, 0) * 1.05 / 5)
        let yTop = max(yStep, (max(ys.max() ?? 0, 0) * 1.05 / yStep).rounded(.up) * yStep)
        func px(_ x: Double) -> Double { Self.margin.left + x / xMax * plotWidth }
        func py(_ y: Double) -> Double { Self.margin.top + plotHeight - y / yTop * plotHeight }

        var out = #"<svg class="chart" viewBox="0 0 \#(Int(Self.width)) \#(Int(Self.height))" role="img" aria-label="\#(html(title))">"#
        out += "<title>\(html(title))</title>"
        // Grid and y ticks.
        for tick in stride(from: 0.0, through: yTop * 1.000_001, by: yStep) {
            let y = py(tick)
            out += #"<line class="grid" x1="\#(f(Self.margin.left))" x2="\#(f(Self.margin.left + plotWidth))" y1="\#(f(y))" y2="\#(f(y))"/>"#
            out += #"<text class="tick" x="\#(f(Self.margin.left - 6))" y="\#(f(y + 4))" text-anchor="end">\#(html(format(tick)))</text>"#
        }
        for tick in stride(from: 0.0, through: xMax, by: xStep) {
            let x = px(tick)
            out += #"<line class="axis" x1="\#(f(x))" x2="\#(f(x))" y1="\#(f(Self.margin.top + plotHeight))" y2="\#(f(Self.margin.top + plotHeight + 4))"/>"#
            out += #"<text class="tick" x="\#(f(x))" y="\#(f(Self.margin.top + plotHeight + 17))" text-anchor="middle">\#(html(clockLabel(tick)))</text>"#
        }
        out += #"<line class="axis" x1="\#(f(Self.margin.left))" x2="\#(f(Self.margin.left + plotWidth))" y1="\#(f(Self.margin.top + plotHeight))" y2="\#(f(Self.margin.top + plotHeight))"/>"#
        out += #"<text class="unit" x="4" y="\#(f(Self.margin.top - 12))">\#(html(unit))</text>"#
        out += #"<text class="unit" x="\#(f(Self.margin.left + plotWidth))" y="\#(f(Self.height - 3))" text-anchor="end">time since start</text>"#
        // Legend.
        var legendX = Self.margin.left + 40
        for line in series {
            out += #"<rect x="\#(f(legendX))" y="9" width="14" height="4" fill="\#(line.color)"/>"#
            out += #"<text class="legend" x="\#(f(legendX + 19))" y="15">\#(html(line.name))</text>"#
            legendX += 32 + Double(line.name.count) * 6.6
        }
        // Lines, broken at gaps; a lone point is drawn as a dot.
        for line in series {
            var segment: [(Double, Double)] = []
            func flush() {
                if segment.count == 1 {
                    out += #"<circle cx="\#(f(segment[0].0))" cy="\#(f(segment[0].1))" r="2.5" fill="\#(line.color)"/>"#
                } else if segment.count > 1 {
                    let points = segment.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
                    let dash = line.dashed ? #" stroke-dasharray="6 4""# : ""
                    out += #"<polyline fill="none" stroke="\#(line.color)" stroke-width="1.8" stroke-linejoin="round"\#(dash) points="\#(points)"/>"#
                }
                segment = []
            }
            for point in line.points {
                if let y = point.y { segment.append((px(point.x), py(y))) } else { flush() }
            }
            flush()
        }
        if ys.isEmpty {
            out += #"<text class="empty" x="\#(f(Self.margin.left + plotWidth / 2))" y="\#(f(Self.margin.top + plotHeight / 2))" text-anchor="middle">nothing measured</text>"#
        }
        return out + "</svg>"
    }
}

/// Horizontal bars, one per labelled count, longest first as given.
struct BarChart {
    var title: String
    var bars: [(label: String, value: Int, color: String)]

    func svg() -> String {
        let rowHeight = 26.0
        let labelWidth = 300.0
        let width = 720.0
        let height = max(1, Double(bars.count)) * rowHeight + 12
        let largest = Double(bars.map(\.value).max() ?? 1)
        var out = #"<svg class="chart" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-label="\#(html(title))">"#
        out += "<title>\(html(title))</title>"
        for (index, bar) in bars.enumerated() {
            let y = 6 + Double(index) * rowHeight
            let length = largest > 0 ? Double(bar.value) / largest * (width - labelWidth - 80) : 0
            out += #"<text class="legend" x="\#(f(labelWidth - 8))" y="\#(f(y + 16))" text-anchor="end">\#(html(bar.label))</text>"#
            out += #"<rect x="\#(f(labelWidth))" y="\#(f(y + 3))" width="\#(f(max(1, length)))" height="\#(f(rowHeight - 8))" fill="\#(bar.color)" rx="2"/>"#
            out += #"<text class="tick" x="\#(f(labelWidth + max(1, length) + 6))" y="\#(f(y + 16))">\#(bar.value)</text>"#
        }
        return out + "</svg>"
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value`.
func niceCeiling(_ value: Double) -> Double {
    guard value > 0 else { return 1 }
    let magnitude = pow(10, floor(log10(value)))
    for step in [1.0, 2, 2.5, 5, 10] where step * magnitude >= value * 0.999_999 {
        return step * magnitude
    }
    return 10 * magnitude
}

/// A step between time ticks in whole seconds (1 s … hours, at most about six ticks) and the
/// axis end, a multiple of it.
private func timeTicks(upTo seconds: Double) -> (step: Double, end: Double) {
    let steps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200]
    let step = steps.first { seconds / $0 <= 6 } ?? 86_400
    return (step, max(step, (seconds / step).rounded(.up) * step))
}

/// `0:00`, `1:30`, `1:02:03` for seconds since the start.
func clockLabel(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    let hours = total / 3600
    let minutes = (total % 3600) / 60
    let rest = total % 60
    return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
}

private func f(_ value: Double) -> String { String(format: "%.1f", value) }

/// Text safe inside HTML and SVG elements and quoted attributes.
func html(_ text: String) -> String {
    var escaped = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&#39;"
        case "\u{0}" ... "\u{8}", "\u{B}", "\u{C}", "\u{E}" ... "\u{1F}", "\u{7F}": escaped += "\u{FFFD}"
        default: escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped
}

/// Colours that stay apart for the usual colour-vision deficiencies (Okabe–Ito, then extras).
let chartPalette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F", "#000000",
                    "#8C564B", "#BCBD22"]
