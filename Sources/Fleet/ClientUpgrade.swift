import NIOCore
import NIOSSL
import OCPP
import OCPPWebSocket

/// The charge point's side of the HTTP/1.1 upgrade (RFC 6455 §4.1), run by its
/// `OCPPWebSocketHandler`: the GET request in one buffer when the connection is up, then the
/// CSMS's answer checked: a 101 with `Upgrade: websocket`, `Connection: Upgrade`, the
/// `Sec-WebSocket-Accept` of our key and our subprotocol opens the WebSocket; anything else is a
/// `ConnectFailure` that says what was wrong (the status of a refusal, the subprotocol chosen,
/// the header that did not match, TLS failures explained).
final class ClientUpgrade: WebSocketUpgrade {
    private let host: String
    private let path: String
    private let subprotocol: String
    /// The whole `Authorization` header value (security profiles 1 and 2); never logged.
    private let authorization: Secret?
    private let key: String
    /// Set when a TLS handler sits below, to explain its failures.
    private let tls: TLSClientState?
    private let delegate: NIOLoopBound<any ConnectionDelegate>

    init(host: String, path: String, subprotocol: String, authorization: Secret?, key: String, tls: TLSClientState?,
         delegate: NIOLoopBound<any ConnectionDelegate>) {
        self.host = host
        self.path = path
        self.subprotocol = subprotocol
        self.authorization = authorization
        self.key = key
        self.tls = tls
        self.delegate = delegate
    }

    func request(allocator: ByteBufferAllocator) -> ByteBuffer? {
        var headers = [("Host", host), ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
                       ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Protocol", subprotocol)]
        if let authorization { headers.append(("Authorization", authorization.reveal())) }
        return HTTPHeadWriter.write("GET \(path) HTTP/1.1", headers: headers, allocator: allocator)
    }

    func decide(_ head: HTTPHead, handler: OCPPWebSocketHandler, channel: any Channel) -> UpgradeDecision {
        guard case .response(let status, let reason) = head.startLine else {
            return refuse(.connect("WebSocket upgrade failed: the CSMS sent a request, not a response"))
        }
        guard status == 101 else { return refuse(.httpStatus(status, reason)) }
        guard head.contains("Upgrade", token: "websocket") else {
            return refuse(.connect("WebSocket upgrade failed: the 101 answer has no 'Upgrade: websocket'"))
        }
        guard head.contains("Connection", token: "upgrade") else {
            return refuse(.connect("WebSocket upgrade failed: the 101 answer has no 'Connection: Upgrade'"))
        }
        let accept = head.values("Sec-WebSocket-Accept")
        guard accept == [WebSocketKey.accept(for: key)] else {
            let got = accept.isEmpty ? "none" : accept.map { "'\($0)'" }.joined(separator: ", ")
            return refuse(.connect("WebSocket upgrade failed: Sec-WebSocket-Accept \(got) does not answer our key"))
        }
        let chosen = head.first("Sec-WebSocket-Protocol")
        guard chosen?.lowercased() == subprotocol.lowercased() else {
            return refuse(.subprotocolRejected(offered: subprotocol, got: chosen))
        }
        return .open(response: nil, delegate: delegate.value)
    }

    func failed(_ error: any Error, channel: any Channel) -> ByteBuffer? {
        let failure: ConnectFailure
        if let malformed = error as? HTTPHeadParser.Failure {
            failure = .connect("WebSocket upgrade failed: \(malformed)")
        } else if let tls, let explained = TLSFailure(error, verification: tls.verification, host: tls.host) {
            failure = .tls(explained)
        } else if case NIOSSLError.uncleanShutdown = error {
            failure = .closedDuringHandshake
        } else {
            failure = .connect("\(error)")
        }
        delegate.value.connectFailed(failure)
        return nil
    }

    private func refuse(_ failure: ConnectFailure) -> UpgradeDecision {
        delegate.value.connectFailed(failure)
        return .refuse(response: nil)
    }
}

@available(*, unavailable)
extension ClientUpgrade: Sendable {}
