/// Local addresses the fleet's connections go out from (`csms.sourceAddresses`,
/// `--source-addresses`): charge points are dealt to them round-robin by their index in the whole
/// fleet, so no address carries more than its share of connections. The kernel searches the
/// ephemeral ports of one source address for each connect; past ~5,000 connections to one backend
/// address that search slows sharply (docs/scaling.md, "Source addresses").
public struct SourceAddresses: Sendable, Equatable, CustomStringConvertible {
    /// IPv4 or IPv6 literals, in order, each at most once.
    public let addresses: [String]

    /// The most a range may expand to: a /16.
    public static let maxCount = 65_536

    public init(_ addresses: [String]) { self.addresses = addresses }

    /// Reads a comma-separated list of addresses (`127.0.0.2`, `::1`) and IPv4 ranges
    /// (`127.0.0.2-127.0.0.254`, both ends included). The error says what is wrong.
    public static func parse(_ text: String) -> Result<SourceAddresses, Invalid> {
        var addresses: [String] = []
        var seen = Set<String>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = item.trimmingSpaces
            guard !item.isEmpty else { return .failure(Invalid("'\(text)': an empty item")) }
            let expanded: [String]
            if let dash = item.firstIndex(of: "-") {
                let first = String(item[..<dash]), last = String(item[item.index(after: dash)...])
                guard let low = ipv4(first), let high = ipv4(last) else {
                    return .failure(Invalid("'\(item)' is not a range of IPv4 addresses like 127.0.0.2-127.0.0.254"))
                }
                guard low <= high else { return .failure(Invalid("'\(item)': the range ends before it starts")) }
                guard high - low < UInt32(maxCount) else {
                    return .failure(Invalid("'\(item)' has \(UInt64(high - low) + 1) addresses; at most \(maxCount)"))
                }
                expanded = (low...high).map(format)
            } else if let value = ipv4(item) {
                expanded = [format(value)]
            } else if isIPv6(item) {
                expanded = [item]
            } else {
                return .failure(Invalid("'\(item)' is not an IP address (e.g. 127.0.0.2) or a range (127.0.0.2-127.0.0.254)"))
            }
            for address in expanded where seen.insert(address).inserted { addresses.append(address) }
        }
        return .success(SourceAddresses(addresses))
    }

    /// The list as ``parse(_:)`` reads it, runs of consecutive IPv4 addresses as ranges:
    /// `127.0.0.2-127.0.0.11`.
    public var description: String {
        var items: [String] = []
        var run: (first: UInt32, last: UInt32)?
        func close() {
            if let (first, last) = run { items.append(first == last ? Self.format(first) : "\(Self.format(first))-\(Self.format(last))") }
            run = nil
        }
        for address in addresses {
            if let value = Self.ipv4(address) {
                if let current = run, current.last &+ 1 == value, value != 0 {
                    run = (current.first, value)
                } else {
                    close()
                    run = (value, value)
                }
            } else {
                close()
                items.append(address)
            }
        }
        close()
        return items.joined(separator: ",")
    }

    /// The address of the charge point with this plan index (from 1): round-robin over the whole fleet.
    public func address(forIndex index: Int) -> String? {
        addresses.isEmpty ? nil : addresses[max(0, index - 1) % addresses.count]
    }

    /// Loopback addresses for a fleet of `connections` against a loopback backend, at most
    /// `perAddress` each: none (the kernel's choice, 127.0.0.1) while one address is enough,
    /// otherwise 127.0.0.2 onwards.
    public static func loopbackSpread(connections: Int, perAddress: Int = 5_000) -> SourceAddresses {
        guard connections > perAddress else { return SourceAddresses([]) }
        let count = min(253, (connections + perAddress - 1) / perAddress)
        return SourceAddresses((0..<count).map { "127.0.0.\($0 + 2)" })
    }

    /// Why a list of source addresses could not be read.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    private static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit), let octet = UInt32(part), octet < 256 else {
                return nil
            }
            value = value << 8 | octet
        }
        return value
    }

    private static func format(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    private static func isIPv6(_ text: String) -> Bool {
        text.contains(":") && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
