import Foundation
import NIOCore

/// Where charge points connect: the CSMS base URL; each charge point appends `/<id>`
/// (OCPP-J 1.6 §3.1.1).
public struct CSMSEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// Base path without a trailing slash ("" or "/ocpp").
    public var basePath: String

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(url text: String) throws(Invalid) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else {
            throw Invalid(description: "'\(text)' is not a URL (expected ws://host:port/path)")
        }
        // Before any message that quotes the URL: its password must not be printed.
        guard url.user == nil, url.password == nil else {
            throw Invalid(description: "the URL must not hold credentials (user:password@); set csms.password in the fleet spec")
        }
        guard scheme == "ws" || scheme == "wss" else {
            throw Invalid(description: "'\(text)': scheme must be ws:// or wss://, got \(scheme)://")
        }
        guard let host = url.host, !host.isEmpty else { throw Invalid(description: "'\(text)' names no host") }
        self.secure = scheme == "wss"
        self.host = host
        self.port = url.port ?? (secure ? 443 : 80)
        var path = url.path
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }

    /// The `Host` header: the host, with the port unless it is the scheme's default.
    public var hostHeader: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? bracketed : "\(bracketed):\(port)"
    }

    /// The TLS server name (SNI) and the name the certificate must carry: the URL's host name;
    /// nil for an IP address, which SNI cannot carry (the certificate must then name the
    /// address itself).
    public var serverName: String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }

    /// The request path of one charge point.
    public func path(for chargePointId: String) -> String {
        "\(basePath)/\(chargePointId.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? chargePointId)"
    }

    public var description: String {
        "\(secure ? "wss" : "ws")://\(host.contains(":") ? "[\(host)]" : host):\(port)\(basePath)"
    }
}
