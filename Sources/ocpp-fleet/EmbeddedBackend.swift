import Foundation
import FleetSpec
import LabPKI
import Logging
import NIOCore
import OCPP

/// The embedded CSMS of one run: `count` `ocpp-fleet serve` children on loopback ports, all
/// started with the same throwaway TLS material, password and scenario (`EmbeddedSecurity`), and
/// the files made for them, removed at the end. One process serves up to the open-file limit's
/// worth of connections; `run` starts one per worker process when the fleet needs more than one.
final class EmbeddedBackend {
    let processes: [EmbeddedCSMSProcess]
    let security: EmbeddedSecurity
    private let scenarioDirectory: String?

    private init(processes: [EmbeddedCSMSProcess], security: EmbeddedSecurity, scenarioDirectory: String?) {
        self.processes = processes
        self.security = security
        self.scenarioDirectory = scenarioDirectory
    }

    /// Each process's base URL (`ws://127.0.0.1:PORT/ocpp`, `wss://` with TLS), in start order.
    var urls: [String] {
        processes.map { "\(security.material == nil ? "ws" : "wss")://127.0.0.1:\($0.port)/ocpp" }
    }

    /// Makes the TLS material and scenario file the fleet asks for, then starts `count` CSMS
    /// processes; on a failure, stops those already started and removes the files.
    static func start(fleet: FleetSpec, plans: [ChargePointPlan], seed: UInt64, count: Int,
                      logger: Logger) throws -> EmbeddedBackend {
        let security = try EmbeddedSecurity(spec: fleet, plans: plans)
        var scenarioDirectory: String?
        var processes: [EmbeddedCSMSProcess] = []
        do {
            var scenarioFile: String?
            if let scenario = fleet.scenario {
                let directory = try Run.makePrivateDirectory()
                scenarioDirectory = directory
                let file = (directory as NSString).appendingPathComponent("scenario.json")
                try Data(scenario.jsonText(seed: seed, callTimeout: fleet.run.callTimeout).utf8)
                    .write(to: URL(fileURLWithPath: file))
                scenarioFile = file
            }
            for _ in 0..<max(1, count) {
                processes.append(try EmbeddedCSMSProcess.start(logger: logger, tls: security.serverTLS,
                                                               password: security.password, scenario: scenarioFile))
            }
        } catch {
            for process in processes { _ = process.stop() }
            security.material?.remove()
            scenarioDirectory.map { try? FileManager.default.removeItem(atPath: $0) }
            throw error
        }
        return EmbeddedBackend(processes: processes, security: security, scenarioDirectory: scenarioDirectory)
    }

    /// Stops every process; what they counted, added up (nil if none said).
    func stop() -> EmbeddedCSMSProcess.Summary? {
        let summaries = processes.compactMap { $0.stop() }
        guard var total = summaries.first else { return nil }
        for summary in summaries.dropFirst() { total.add(summary) }
        return total
    }

    /// Removes the TLS material and the scenario file.
    func removeFiles() {
        security.material?.remove()
        scenarioDirectory.map { try? FileManager.default.removeItem(atPath: $0) }
    }
}

extension EmbeddedCSMSProcess.Summary {
    /// Adds another CSMS process's counts: the fleet's CSMS side when several served it.
    mutating func add(_ other: Self) {
        openTransactions += other.openTransactions
        transactionsStarted += other.transactionsStarted
        transactionsStopped += other.transactionsStopped
        violations += other.violations
        callsReceived.merge(other.callsReceived, uniquingKeysWith: +)
        callErrorsSent.merge(other.callErrorsSent, uniquingKeysWith: +)
        callsSent.merge(other.callsSent) { $0.merging($1, uniquingKeysWith: +) }
    }
}
