import Fleet
import FleetSpec
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

/// Records, per request path, the address each connection came from, and answers 404 (the
/// charge points retry; the first connection of each is what counts).
private final class AddressRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let seen = Mutex<[String: String]>([:])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let id = String(head.uri.split(separator: "/").last ?? "")
        let address = context.channel.remoteAddress?.ipAddress ?? "?"
        seen.withLock { if $0[id] == nil { $0[id] = address } }
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .notFound))), promise: nil)
        context.close(promise: nil)
    }
}

@Suite("Source addresses", .timeLimit(.minutes(2)))
struct SourceAddressTests {
    @Test("Charge points connect from the configured addresses, dealt round-robin by their index in the fleet")
    func roundRobin() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let recorder = AddressRecorder()
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(recorder)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)

        let fleet = try FleetSpec.parse(yaml: """
            csms: {sourceAddresses: 127.0.0.2-127.0.0.4}
            groups: [{count: 9, idPattern: "SRC-{index}"}]
            """, file: "sources.yaml")
        var configuration = FleetConfiguration(spec: fleet, plans: fleet.chargePoints(),
                                               endpoint: try CSMSEndpoint(url: "ws://127.0.0.1:\(port)/ocpp"), seed: 1)
        #expect(configuration.sourceAddresses.addresses == ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
        configuration.reconnectInitial = .milliseconds(50)
        let runner = FleetRunner(configuration: configuration, group: group, logger: Logger(label: "sources"))
        try await runner.start()
        for _ in 0..<100 where recorder.seen.withLock({ $0.count }) < 9 {
            try await Task.sleep(for: .milliseconds(50))
        }
        runner.hurry()
        _ = await runner.finish(onExit: .leave)
        try await server.close()
        try await group.shutdownGracefully()

        let seen = recorder.seen.withLock { $0 }
        #expect(seen.count == 9, "\(seen)")
        for index in 1...9 {
            #expect(seen["SRC-\(index)"] == "127.0.0.\((index - 1) % 3 + 2)", "SRC-\(index): \(seen)")
        }
    }

    @Test("A loopback fleet above 5,000 connections spreads over 127.0.0.2 onwards; a small one does not")
    func loopbackSpread() {
        #expect(SourceAddresses.loopbackSpread(connections: 5_000).addresses.isEmpty)
        #expect(SourceAddresses.loopbackSpread(connections: 50_000).addresses == (2...11).map { "127.0.0.\($0)" })
        #expect(SourceAddresses.loopbackSpread(connections: 50_000).description == "127.0.0.2-127.0.0.11")
    }

    @Test("Addresses and ranges are read, and what is wrong is said", arguments: [
        ("127.0.0.2-127.0.0.4, ::1,10.0.0.1", "127.0.0.2-127.0.0.4,::1,10.0.0.1"),
        ("127.0.0.255-127.0.1.1", "127.0.0.255-127.0.1.1"),
        ("127.0.0.4-127.0.0.2", "'127.0.0.4-127.0.0.2': the range ends before it starts"),
        ("127.0.0.300", "'127.0.0.300' is not an IP address"),
        ("10.0.0.0-10.2.0.0", "has 131073 addresses; at most 65536"),
        ("127.0.0.2,,127.0.0.3", "an empty item"),
    ])
    func parse(text: String, expected: String) {
        switch SourceAddresses.parse(text) {
        case .success(let addresses): #expect(addresses.description == expected)
        case .failure(let invalid): #expect(invalid.description.contains(expected), "\(invalid)")
        }
    }
}
