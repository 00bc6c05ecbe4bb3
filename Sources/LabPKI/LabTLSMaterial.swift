import Foundation

/// The TLS files of one run against the embedded CSMS, in a fresh temporary directory: a
/// throwaway CA (`ca.pem`), the CSMS's certificate and key (`server.pem`, `server.key`) for the
/// loopback host names, and one client certificate and key per profile-3 charge point
/// (`clients/<id>.pem`, `clients/<id>.key`, common name = the charge point id).
public struct LabTLSMaterial: Sendable {
    public let directory: String
    public var caFile: String { path("ca.pem") }
    public var serverCertificate: String { path("server.pem") }
    public var serverKey: String { path("server.key") }
    /// A `tls.clientCertificate` path pattern (`{id}` is the charge point id).
    public var clientCertificatePattern: String { path("clients/{id}.pem") }
    public var clientKeyPattern: String { path("clients/{id}.key") }

    /// The material `make` wrote into `directory` earlier (read by the worker processes of a
    /// run, whose parent made it).
    public init(directory: String) { self.directory = directory }

    /// Makes the CA and every certificate, and writes them under a new directory in `parent`.
    public static func make(serverDNSNames: [String] = ["localhost"], serverIPAddresses: [String] = ["127.0.0.1", "::1"],
                            clientIDs: [String], parent: String = NSTemporaryDirectory()) throws -> LabTLSMaterial {
        let directory = (parent as NSString).appendingPathComponent("ocpp-fleet-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let material = LabTLSMaterial(directory: directory)
        let authority = try LabCertificateAuthority()
        try Data(authority.certificatePEM().utf8).write(to: URL(fileURLWithPath: material.caFile))
        try authority.issue(commonName: serverDNSNames.first ?? "ocpp-fleet CSMS", role: .server,
                            dnsNames: serverDNSNames, ipAddresses: serverIPAddresses)
            .write(certificateTo: material.serverCertificate, keyTo: material.serverKey)
        if !clientIDs.isEmpty {
            try FileManager.default.createDirectory(atPath: material.path("clients"), withIntermediateDirectories: true)
        }
        for id in clientIDs {
            try authority.issue(commonName: id, role: .client)
                .write(certificateTo: material.path("clients/\(id).pem"), keyTo: material.path("clients/\(id).key"))
        }
        return material
    }

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
}
