import Foundation
import OCPP
@testable import CentralSystem
import OCPPWebSocket
import Testing

@Suite("Handshake: charge point id from the path, ocpp1.6 subprotocol")
struct HandshakeTests {
    @Test("The charge point id is the percent-decoded last path segment",
          arguments: [("/steve/websocket/CentralSystemService/CP-1", "CP-1"), ("/ocpp/CP-1", "CP-1"),
                      ("/CP-1", "CP-1"), ("/ocpp/CP%201%2Fa", "CP 1/a"), ("/ocpp/CP-1?token=x", "CP-1"),
                      ("ws://host:9000/ocpp/CP-2", "CP-2"), ("/ocpp/%C3%A9", "é"), ("/ocpp/", ""), ("/", "")])
    func chargePointId(uri: String, id: String) {
        #expect(Handshake.chargePointId(uri: uri) == id)
    }

    @Test("Broken percent-encoding is not an id", arguments: ["/ocpp/%ZZ", "/ocpp/CP%2", "/ocpp/%FF"])
    func brokenEncoding(uri: String) {
        #expect(Handshake.chargePointId(uri: uri) == nil)
    }

    private func head(_ uri: String, protocols: [String]) -> HTTPHead {
        HTTPHead(uri: uri, headers: HandshakeTests.upgradeHeaders + protocols.map { ("Sec-WebSocket-Protocol", $0) })
    }

    /// What every WebSocket opening handshake carries (RFC 6455 §4.1), with §1.3's sample key.
    static let upgradeHeaders = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                 ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]

    @Test("ocpp1.6 and ocpp2.0.1 are accepted when offered alone, in a list, or in any case; the client's first choice wins")
    func subprotocolOffered() {
        #expect(Handshake(head("/ocpp/CP-1", protocols: ["ocpp1.6"])) == .upgrade(chargePointId: "CP-1", version: .v16, subprotocol: "ocpp1.6"))
        #expect(Handshake(head("/ocpp/CP-1", protocols: ["ocpp2.0.1"])) == .upgrade(chargePointId: "CP-1", version: .v201, subprotocol: "ocpp2.0.1"))
        #expect(Handshake(head("/ocpp/CP-1", protocols: ["ocpp2.0, ocpp2.0.1, ocpp1.6"]))
                == .upgrade(chargePointId: "CP-1", version: .v201, subprotocol: "ocpp2.0.1"))
        #expect(Handshake(head("/ocpp/CP-1", protocols: ["ocpp1.6", "OCPP2.0.1"]))
                == .upgrade(chargePointId: "CP-1", version: .v16, subprotocol: "ocpp1.6"))
        #expect(Handshake(head("/ocpp/CP-1", protocols: ["OCPP2.0.1", "ocpp1.6"]))
                == .upgrade(chargePointId: "CP-1", version: .v201, subprotocol: "OCPP2.0.1"))
    }

    @Test("A server restricted to one version refuses the other's subprotocol and picks its own from a list")
    func restrictedVersions() {
        #expect(Handshake(head("/ocpp/CP-1", protocols: ["ocpp2.0.1, ocpp1.6"]), versions: [.v16])
                == .upgrade(chargePointId: "CP-1", version: .v16, subprotocol: "ocpp1.6"))
        guard case .reject(let status, let reason) = Handshake(head("/ocpp/CP-1", protocols: ["ocpp1.6"]), versions: [.v201]) else {
            Issue.record("a 2.0.1-only server accepted ocpp1.6")
            return
        }
        #expect(status == .badRequest)
        #expect(reason == "subprotocol ocpp2.0.1 required (Sec-WebSocket-Protocol)")
    }

    @Test("Without ocpp1.6 or ocpp2.0.1 the upgrade is refused with 400; without an id with 404")
    func refused() {
        guard case .reject(let status, let reason) = Handshake(head("/ocpp/CP-1", protocols: [])) else {
            Issue.record("accepted without a subprotocol")
            return
        }
        #expect(status == .badRequest)
        #expect(reason == "subprotocol ocpp1.6 or ocpp2.0.1 required (Sec-WebSocket-Protocol)")
        guard case .reject(let other, _) = Handshake(head("/ocpp/CP-1", protocols: ["ocpp2.0", "ocpp2.1"])) else {
            Issue.record("accepted ocpp2.0")
            return
        }
        #expect(other == .badRequest)
        guard case .reject(let missing, _) = Handshake(head("/ocpp/", protocols: ["ocpp1.6"])) else {
            Issue.record("accepted an empty id")
            return
        }
        #expect(missing == .notFound)
    }
}

@Suite("Handshake: credentials of security profiles 1 to 3")
struct HandshakeCredentialTests {
    static let password = Secret("lab-password-0123456789")

    private func head(_ uri: String, authorization: String?) -> HTTPHead {
        HTTPHead(uri: uri, headers: HandshakeTests.upgradeHeaders + [("Sec-WebSocket-Protocol", "ocpp1.6")]
                     + (authorization.map { [("Authorization", $0)] } ?? []))
    }

    private func basic(_ text: String) -> String { "Basic " + Data(text.utf8).base64EncodedString() }

    @Test("The charge point id with the right password is accepted")
    func rightPassword() {
        let credentials = Credentials(password: Self.password)
        #expect(Handshake(head("/ocpp/CP-1", authorization: basic("CP-1:lab-password-0123456789")), credentials: credentials)
                == .upgrade(chargePointId: "CP-1", version: .v16, subprotocol: "ocpp1.6"))
    }

    @Test("A wrong password, another id, a malformed header or none at all is refused with 401",
          arguments: [Optional("Basic " + Data("CP-1:wrong-password-0123456".utf8).base64EncodedString()),
                      Optional("Basic " + Data("CP-2:lab-password-0123456789".utf8).base64EncodedString()),
                      Optional("Basic !!!"), Optional("Bearer abc"), nil])
    func refused(authorization: String?) {
        guard case .reject(let status, let reason) = Handshake(head("/ocpp/CP-1", authorization: authorization),
                                                               credentials: Credentials(password: Self.password)) else {
            Issue.record("accepted")
            return
        }
        #expect(status == .unauthorized)
        #expect(!reason.contains("lab-password"))
    }

    @Test("A verified client certificate for this id needs no password; one for another id is 403")
    func clientCertificate() {
        #expect(Handshake(head("/ocpp/CP-1", authorization: nil),
                          credentials: Credentials(password: Self.password, certificateName: "CP-1"))
                == .upgrade(chargePointId: "CP-1", version: .v16, subprotocol: "ocpp1.6"))
        guard case .reject(let status, _) = Handshake(head("/ocpp/CP-1", authorization: nil),
                                                      credentials: Credentials(certificateName: "CP-9")) else {
            Issue.record("accepted a certificate of another charge point")
            return
        }
        #expect(status == .forbidden)
    }
}
