import FleetSpec
import NIOCore
import NIOEmbedded
import NIOSSL
import OCPP
import Testing

@testable import Fleet

@Suite("Transport security: wss:// endpoints, SNI, Basic authentication")
struct TransportSecurityTests {
    @Test("wss:// is accepted: port 443 by default, SNI is the host name and never an IP address")
    func endpoints() throws {
        let named = try CSMSEndpoint(url: "wss://csms.example/ocpp/")
        #expect(named.secure && named.port == 443 && named.basePath == "/ocpp")
        #expect(named.serverName == "csms.example")
        #expect(named.hostHeader == "csms.example")
        #expect(named.description == "wss://csms.example:443/ocpp")
        let address = try CSMSEndpoint(url: "wss://127.0.0.1:8443/ocpp")
        #expect(address.serverName == nil)
        #expect(address.hostHeader == "127.0.0.1:8443")
        #expect(throws: CSMSEndpoint.Invalid.self) { try CSMSEndpoint(url: "wss://cp:secret@csms.example/ocpp") }
    }

    @Test("Basic credentials are base64(<chargePointId>:<password>) and print as ***")
    func basicAuthorization() {
        let header = GroupTransport.basicAuthorization(user: "CP-1", password: Secret("lab-password-0123456789"))
        #expect(header.reveal() == "Basic Q1AtMTpsYWItcGFzc3dvcmQtMDEyMzQ1Njc4OQ==")
        #expect("\(header)" == "***")
    }

    func connect(_ channel: EmbeddedChannel, security: ClientSecurity, url: String) throws -> String {
        let bound = NIOLoopBound<any ConnectionDelegate>(RecordingDelegate(), eventLoop: channel.eventLoop)
        let endpoint = try CSMSEndpoint(url: url)
        try WebSocketTransport.configurePipeline(channel, hostHeader: endpoint.hostHeader, path: endpoint.path(for: "CP-1"),
                                                 subprotocol: "ocpp1.6", security: security, endpoint: endpoint,
                                                 delegate: bound)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        return String(decoding: bytes.map { (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x0D ? $0 : 0x2E }, as: UTF8.self)
    }

    @Test("The upgrade request carries the Authorization header of profiles 1 and 2")
    func authorizationHeader() throws {
        let channel = EmbeddedChannel()
        var security = ClientSecurity.plain
        security.authorization = GroupTransport.basicAuthorization(user: "CP-1", password: Secret("lab-password-0123456789"))
        let request = try connect(channel, security: security, url: "ws://127.0.0.1:9000/ocpp")
        #expect(request.contains("Authorization: Basic Q1AtMTpsYWItcGFzc3dvcmQtMDEyMzQ1Njc4OQ==\r\n"))
        _ = try? channel.finish()
    }

    @Test("With TLS the first bytes are a ClientHello naming the URL's host (SNI), not the HTTP request")
    func serverNameIndication() throws {
        let channel = EmbeddedChannel()
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let tls = ClientSecurity.TLS(context: try NIOSSLContext(configuration: configuration), verifies: false,
                                     presentsClientCertificate: false)
        let hello = try connect(channel, security: ClientSecurity(tls: tls, authorization: nil), url: "wss://csms.example:8443/ocpp")
        #expect(hello.contains("csms.example"))
        #expect(!hello.contains("GET /ocpp"))
        _ = try? channel.finish()
    }
}
