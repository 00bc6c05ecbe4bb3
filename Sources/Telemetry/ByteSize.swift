/// Sizes as people write them: `1048576`, `512B`, `64KiB`, `1 MiB`, `2GiB` (binary units only,
/// so `KiB` never means 1,000). Thresholds on bytes and the fleet spec's sizes read them alike.
public enum ByteSize {
    /// The units a size may carry, with their factors.
    public static let units: [(name: String, factor: Int)] = [("B", 1), ("KiB", 1024), ("MiB", 1 << 20), ("GiB", 1 << 30)]

    /// The factor of `unit` (`""` means bytes); nil for an unknown unit.
    public static func factor(of unit: String) -> Int? {
        unit.isEmpty ? 1 : units.first { $0.name == unit }?.factor
    }

    /// A whole number of bytes from `text` (digits, optional spaces, optional unit); nil when it
    /// is not one or overflows.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: " \t")
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = Int(digits),
              let factor = factor(of: String(trimmed.dropFirst(digits.count)).trimmingCharacters(in: " \t"))
        else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : bytes
    }

    /// `bytes` in the largest unit that divides it: `1 MiB`, `1536 KiB`, `100 B`.
    public static func format(_ bytes: Int) -> String {
        for unit in units.reversed() where bytes != 0 && bytes % unit.factor == 0 {
            return "\(bytes / unit.factor) \(unit.name)"
        }
        return "\(bytes) B"
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, set.contains(last) { scalars.removeLast() }
        return String(scalars)
    }
}
