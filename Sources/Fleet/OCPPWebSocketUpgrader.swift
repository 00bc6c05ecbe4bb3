import NIOCore
import NIOHTTP1
import NIOWebSocket
import OCPPWebSocket

/// The WebSocket upgrade of NIO (request key, `Sec-WebSocket-Accept` check) with our own pipeline
/// after it: `OCPPWebSocketHandler` alone, once the CSMS has chosen our subprotocol.
struct OCPPWebSocketUpgrader: NIOHTTPClientProtocolUpgrader {
    let handshake: NIOWebSocketClientUpgrader
    let subprotocol: String
    let maxMessageSize: Int
    let delegate: NIOLoopBound<any ConnectionDelegate>

    var supportedProtocol: String { handshake.supportedProtocol }
    var requiredUpgradeHeaders: [String] { handshake.requiredUpgradeHeaders }

    func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
        handshake.addCustom(upgradeRequestHeaders: &upgradeRequestHeaders)
    }

    func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool {
        handshake.shouldAllowUpgrade(upgradeResponse: upgradeResponse)
    }

    func upgrade(context: ChannelHandlerContext, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<Void> {
        let channel = context.channel
        let chosen = upgradeResponse.headers.first(name: "Sec-WebSocket-Protocol")
        guard chosen?.lowercased() == subprotocol.lowercased() else {
            delegate.value.connectFailed(.subprotocolRejected(offered: subprotocol, got: chosen))
            channel.close(promise: nil)
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                OCPPWebSocketHandler(delegate: delegate.value, maxMessageSize: maxMessageSize))
        }
    }
}
