import ArgumentParser
import Foundation
import Telemetry
import Testing

@testable import ocpp_fleet

// Nested in EndToEndTests, whose .serialized trait they inherit: these suites start fleets as
// processes, and running them beside the 25 s smoke run would make its timings the machine's load.
extension EndToEndTests {
    /// `run --processes` and `serve --processes`: one run, several processes of this machine.
    @Suite("Worker processes", .serialized, .timeLimit(.minutes(5)))
    struct WorkerProcessTests {
        @Test("run --processes 2 with the embedded CSMS: one merged report of the whole fleet, counted by the CSMS too")
        func twoWorkers() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("workers-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            let child = try EndToEndTests.Child(["run", "fleets/smoke.yaml", "--charge-points", "30", "--duration", "8s",
                                                 "--processes", "2", "--report", directory.path])
            let (code, stdout) = child.finish()
            let stderr = child.stderrLines
            #expect(code == 0, "\(stderr.joined(separator: "\n"))")
            #expect(stderr.contains { $0.contains("30 charge points in 2 worker processes (--processes 2)") }, "\(stderr)")
            for worker in ["[worker 0/2] ", "[worker 1/2] "] {
                #expect(stderr.contains { $0.hasPrefix(worker + "ocpp-fleet: 15 charge points") }, "\(worker) \(stderr)")
            }
            #expect(stdout.contains("Thresholds"))
            let report = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: directory.appendingPathComponent("report.json"))) as? [String: Any])
            #expect(report["shard"] == nil)
            #expect(EndToEndTests.jsonNumber("chargePoints.configured", report) == 30)
            #expect(EndToEndTests.jsonNumber("chargePoints.bootAccepted", report) == 30)
            #expect(EndToEndTests.jsonNumber("csms.counted.received.BootNotification", report)
                    == EndToEndTests.jsonNumber("actions.BootNotification.sent", report))
            #expect(EndToEndTests.jsonNumber("csms.counted.openTransactions", report) == 0)
            #expect(((report["csms"] as? [String: Any])?["embedded"] as? Bool) == true)
            // No shard missing or twice, one CSMS (saturation warnings depend on the machine's load).
            let warnings = report["warnings"] as? [String] ?? []
            #expect(!warnings.contains { $0.contains("shard") || $0.contains("different CSMS") }, "\(warnings)")
            let thresholds = try #require(report["thresholds"] as? [[String: Any]])
            #expect(thresholds.count == 4 && thresholds.allSatisfy { $0["passed"] as? Bool == true })
            // The workers shared this machine: their CPU use is measured again over its cores.
            let cores = try #require(EndToEndTests.jsonNumber("client.availableCores", report))
            let cpuSeconds = try #require(EndToEndTests.jsonNumber("client.cpuSeconds", report))
            let duration = try #require(EndToEndTests.jsonNumber("durationSeconds", report))
            let utilization = try #require(EndToEndTests.jsonNumber("client.cpuUtilization", report))
            #expect(cores == Double(ProcessInfo.processInfo.activeProcessorCount))
            #expect(abs(utilization - cpuSeconds / (duration * cores)) < 1e-9)
        }

        @Test("A warning every worker gave is said once; a worker's own warning says which worker")
        func workerWarnings() {
            let merged = Run.attributedWarnings([
                ["the run was interrupted", "event-loop lag p99 was 2662.40 ms"],
                ["event-loop lag p99 was 2852.86 ms", "the run was interrupted"],
            ])
            #expect(merged == [
                ["the run was interrupted", "worker 0/2: event-loop lag p99 was 2662.40 ms"],
                ["worker 1/2: event-loop lag p99 was 2852.86 ms", "the run was interrupted"],
            ])
            #expect(Run.attributedWarnings([["only one worker"]]) == [["only one worker"]])
            #expect(Run.attributedWarnings([]).isEmpty)
        }

        @Test("SIGINT to the parent reaches every worker once: each stops its transactions, one merged report")
        func interrupt() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("workers-int-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            let child = try EndToEndTests.Child(["run", "fleets/smoke.yaml", "--charge-points", "10", "--duration", "5m",
                                                 "--processes", "2", "--report", directory.path])
            for worker in ["[worker 0/2] ocpp-fleet: 5 charge points", "[worker 1/2] ocpp-fleet: 5 charge points"] {
                _ = try #require(try await child.line(containing: worker), "\(child.stderrLines)")
            }
            try await Task.sleep(for: .seconds(7))
            kill(child.process.processIdentifier, SIGINT)
            let (code, _) = child.finish()
            #expect(code == 0, "\(child.stderrLines.joined(separator: "\n"))")
            let report = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: directory.appendingPathComponent("report.json"))) as? [String: Any])
            let warnings = report["warnings"] as? [String] ?? []
            #expect(warnings.contains { $0.hasPrefix("worker 0/2: the run was interrupted") }, "\(warnings)")
            #expect(!warnings.contains { $0.hasPrefix("partial report") }, "one signal, not two: \(warnings)")
            #expect(EndToEndTests.jsonNumber("chargePoints.bootAccepted", report) == 10)
            #expect(EndToEndTests.jsonNumber("csms.counted.openTransactions", report) == 0)
        }

        @Test("Under an open-file limit of 500, 400 charge points split into 2 workers and 2 CSMS processes by themselves")
        func automaticWorkers() throws {
            let binary = try EndToEndTests.binary().path
            let child = try EndToEndTests.Child(["run", "fleets/smoke.yaml", "--charge-points", "400", "--duration", "10s",
                                                 "--quiet", "--format", "json"],
                                                shell: "ulimit -n 500 && exec \"\(binary)\" \"$@\"")
            let (code, stdout) = child.finish()
            #expect(code == 0, "\(child.stderrLines.joined(separator: "\n"))")
            #expect(child.stderrLines.contains {
                $0.contains("400 charge points in 2 worker processes (400 connections need more file descriptors than one "
                            + "process may open (500)), 2 embedded CSMS processes")
            }, "\(child.stderrLines)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
            #expect(EndToEndTests.jsonNumber("chargePoints.configured", report) == 400)
            #expect(EndToEndTests.jsonNumber("chargePoints.bootAccepted", report) == 400)
            #expect(EndToEndTests.jsonNumber("csms.counted.received.BootNotification", report)
                    == EndToEndTests.jsonNumber("actions.BootNotification.sent", report))
        }

        @Test("serve --processes 2: two ports, and the stats of both added up at the end")
        func serveTwoProcesses() throws {
            let server = try ShardRunTests.Server(arguments: ["--processes", "2"], listeners: 2)
            #expect(server.ports.count == 2 && Set(server.ports).count == 2)
            let runs = try server.ports.enumerated().map { index, port in
                try EndToEndTests.Child(["run", "fleets/smoke.yaml", "--charge-points", "6", "--duration", "7s", "--quiet",
                                         "--csms", "ws://127.0.0.1:\(port)/ocpp", "--shard", "\(index)/2"])
            }
            for run in runs { #expect(run.finish().code == 0, "\(run.stderrLines)") }
            let stats = try server.stop()
            #expect(stats["chargePointsBooted"] as? Int == 6, "\(stats)")
            #expect((stats["callsReceived"] as? [String: Int])?["BootNotification"] == 6)
        }

        @Test("The fleet is split when one process cannot hold it: one connection is one file descriptor")
        func automaticSplit() throws {
            let options = try ScaleOptions.parse([])
            #expect(options.split(chargePoints: 19_000, descriptorLimit: 20_000) == nil)
            #expect(options.split(chargePoints: 50_000, descriptorLimit: 20_000)?.count == 3)
            #expect(options.split(chargePoints: 50_000, descriptorLimit: nil) == nil)
            #expect(try ScaleOptions.parse(["--processes", "4"]).split(chargePoints: 10, descriptorLimit: 20_000)?.count == 4)
            #expect(try ScaleOptions.parse(["--processes", "1"]).split(chargePoints: 50_000, descriptorLimit: 20_000) == nil)
            #expect(try ScaleOptions.parse(["--worker"]).split(chargePoints: 50_000, descriptorLimit: 20_000) == nil)
        }

        @Test("A worker's shard within a shard is a shard of the whole fleet, and back")
        func composedShards() throws {
            let parent = try #require(Shard(index: 1, count: 3))
            let fleet = Array(1...40)
            let slice = parent.slice(fleet)
            for index in 0..<2 {
                let local = try #require(Shard(index: index, count: 2))
                let global = Run.globalShard(local, within: parent)
                #expect(global.slice(fleet) == local.slice(slice))
                #expect(Run.localShard(of: global, within: parent, workers: 2) == local)
            }
            #expect(Run.globalShard(Shard(index: 1, count: 2)!, within: nil) == Shard(index: 1, count: 2))
        }

        @Test("Bad scale options exit 2 and say why", arguments: [
            (["--processes", "0"], "--processes must be at least 1"),
            (["--processes", "2", "--trace", "CP*"], "--trace writes one file from one process"),
            (["--source-addresses", "127.0.0.9-127.0.0.2"], "--source-addresses: '127.0.0.9-127.0.0.2': the range ends before it starts"),
        ])
        func badOptions(arguments: [String], message: String) {
            #expect {
                _ = try Run.parse(["fleets/smoke.yaml"] + arguments)
            } throws: { error in
                Run.exitCode(for: error) == .validationFailure && Run.message(for: error).contains(message)
            }
        }
    }
}
