import ArgumentParser
import Foundation
import Testing

@testable import ocpp_fleet

// Nested in EndToEndTests, whose .serialized trait they inherit: these suites start fleets as
// processes, and running them beside the 25 s smoke run would make its timings the machine's load.
extension EndToEndTests {
    /// `run --shard` as users run it: shards as separate processes against one `ocpp-fleet serve`,
    /// their reports merged; and every way to give a wrong shard, refused with exit code 2.
    @Suite("Sharded runs from the command line", .serialized, .timeLimit(.minutes(5)))
    struct ShardRunTests {
        /// fleets/smoke.yaml's charge points and behaviour, 20 of them, without its scenario (only an
        /// embedded CSMS started by `run` plays one).
        static let spec = """
            run: {duration: 60s, seed: 42, rampUp: 2s, callTimeout: 30s, stopTimeout: 10s}
            groups:
              - {name: smoke, count: 14, idPattern: "SMOKE-{index:03}", connectors: 2, behaviour: quick,
                 config: {HeartbeatInterval: 30, MeterValueSampleInterval: 10}}
              - {name: solo, count: 6, idPattern: "SOLO-{index:03}", behaviour: quick}
            behaviours:
              quick:
                arrival: {uniform: [1s, 3s]}
                plugToAuthorize: {uniform: [1s, 2s]}
                chargeDuration: {uniform: [2s, 4s]}
                unplugDelay: {uniform: [1s, 2s]}
            thresholds: [boot.accepted.ratio == 100%, timeouts == 0]
            """

        /// `ocpp-fleet serve --port 0 <arguments>`, its ports read from the first `listeners` lines
        /// of its stdout ("listening on HOST:PORT").
        final class Server {
            let process = Process()
            private let output = Pipe()
            let ports: [Int]
            var port: Int { ports[0] }

            init(arguments: [String] = [], listeners: Int = 1) throws {
                process.executableURL = try EndToEndTests.binary()
                process.arguments = ["serve", "--port", "0"] + arguments
                process.standardOutput = output
                process.standardInput = FileHandle.nullDevice
                try process.run()
                var text = ""
                while text.filter({ $0 == "\n" }).count < listeners {
                    let data = output.fileHandleForReading.availableData
                    if data.isEmpty { break }
                    text += String(decoding: data, as: UTF8.self)
                }
                let lines = text.split(separator: "\n").prefix(listeners)
                let ports = lines.compactMap { line in
                    line.hasPrefix("listening on ") ? line.split(separator: ":").last.flatMap { Int($0) } : nil
                }
                guard ports.count == listeners else {
                    process.terminate()
                    throw EndToEndTests.ToolError("serve said '\(text)'")
                }
                self.ports = ports
            }

            /// SIGTERM, then its `stats {json}` line.
            func stop() throws -> [String: Any] {
                process.terminate()
                let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                let line = try #require(rest.split(separator: "\n").first { $0.hasPrefix("stats ") })
                return try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any])
            }
        }

        @Test("Shards 0/2 and 1/2 as two processes against one serve: together they run the fleet exactly once")
        func twoShardProcesses() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shards-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let specFile = directory.appendingPathComponent("fleet.yaml")
            try Data(Self.spec.utf8).write(to: specFile)
            let server = try Server()
            var stats: [String: Any] = [:]
            defer { if server.process.isRunning { _ = try? server.stop() } }

            let shards = try (0..<2).map { index in
                try EndToEndTests.Child(["run", specFile.path, "--csms", "ws://127.0.0.1:\(server.port)/ocpp",
                                         "--duration", "8s", "--shard", "\(index)/2", "--quiet",
                                         "--report", directory.appendingPathComponent("shard-\(index)").path])
            }
            var reports: [[String: Any]] = []
            for (index, shard) in shards.enumerated() {
                let (code, _) = shard.finish()
                #expect(code == 0, "shard \(index): \(shard.stderrLines.joined(separator: "\n"))")
                let path = directory.appendingPathComponent("shard-\(index)/report.json")
                let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any])
                let shard = try #require(report["shard"] as? [String: Int])
                #expect(shard == ["index": index, "count": 2])
                #expect(EndToEndTests.jsonNumber("chargePoints.configured", report) == 10)
                reports.append(report)
            }
            stats = try server.stop()

            let merged = directory.appendingPathComponent("merged.json").path
            let merge = try EndToEndTests.Child(["report", "merge"] + (0..<2).map {
                directory.appendingPathComponent("shard-\($0)/report.json").path
            } + ["-o", merged])
            #expect(merge.finish().code == 0)
            #expect(!merge.stderrLines.contains { $0.contains("warning") }, "\(merge.stderrLines)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: merged)))
                as? [String: Any])
            #expect(report["shard"] == nil)
            // The unsharded fleet's count (14 + 6), each charge point booted once, by the CSMS's own count too.
            #expect(EndToEndTests.jsonNumber("chargePoints.configured", report) == 20)
            #expect(EndToEndTests.jsonNumber("chargePoints.bootAccepted", report) == 20)
            #expect(stats["chargePointsBooted"] as? Int == 20, "\(stats)")
            #expect(stats["connectionsReplaced"] as? Int == 0, "no id connected from both shards")
            let received = try #require(stats["callsReceived"] as? [String: Int])
            #expect(Double(received["StartTransaction"] ?? -1) == EndToEndTests.jsonNumber("actions.StartTransaction.sent", report))

            // The same shard twice and the other missing: merged, with a warning on stderr.
            let first = directory.appendingPathComponent("shard-0/report.json").path
            let twice = try EndToEndTests.Child(["report", "merge", first, first, "-o", merged])
            #expect(twice.finish().code == 0)
            #expect(twice.stderrLines.contains { $0.contains("shard 0/2 merged 2 times") }, "\(twice.stderrLines)")
            #expect(twice.stderrLines.contains { $0.contains("shard 1/2 missing") }, "\(twice.stderrLines)")
        }

        @Test("A wrong shard on the command line exits 2 and says why", arguments: [
            (["--shard", "3/2"], "--shard: '3/2': the index must be from 0 to 1"),
            (["--shard", "1/0"], "--shard: '1/0': the shard count must be at least 1"),
            (["--shard", "two/3"], "--shard: 'two/3' is not INDEX/COUNT"),
            (["--shard=-1/3"], "--shard: '-1/3': the index must be from 0 to 2"),
            (["--shard", "0/2", "--shards", "2"], "not both"),
            (["--shards", "0"], "--shards must be at least 1"),
        ])
        func badShardArgument(arguments: [String], message: String) throws {
            #expect {
                _ = try Run.parse(["fleets/smoke.yaml"] + arguments)
            } throws: { error in
                Run.exitCode(for: error) == .validationFailure && Run.message(for: error).contains(message)
            }
        }

        @Test("The shard from the environment: OCPP_FLEET_SHARD, or --shards with JOB_COMPLETION_INDEX")
        func environment() throws {
            let none = try ShardOptions.parse([])
            #expect(try none.resolve(environment: [:]) == nil)
            #expect(try none.resolve(environment: ["OCPP_FLEET_SHARD": "2/5"])?.description == "2/5")
            let counted = try ShardOptions.parse(["--shards", "4"])
            #expect(try counted.resolve(environment: ["JOB_COMPLETION_INDEX": "3"])?.description == "3/4")
            // --shard beats the environment.
            let given = try ShardOptions.parse(["--shard", "0/2"])
            #expect(try given.resolve(environment: ["OCPP_FLEET_SHARD": "1/2"])?.description == "0/2")
            for (options, environment, message) in [
                (none, ["OCPP_FLEET_SHARD": "2/2"], "OCPP_FLEET_SHARD: '2/2': the index must be from 0 to 1"),
                (none, ["OCPP_FLEET_SHARD": "half"], "OCPP_FLEET_SHARD: 'half' is not INDEX/COUNT"),
                (counted, [:], "JOB_COMPLETION_INDEX, which is not set"),
                (counted, ["JOB_COMPLETION_INDEX": "4"], "JOB_COMPLETION_INDEX='4' is not a shard index from 0 to 3"),
            ] {
                #expect(throws: ValidationError.self) { try options.resolve(environment: environment) }
                do {
                    _ = try options.resolve(environment: environment)
                } catch let error as ValidationError {
                    #expect(error.message.contains(message), "\(error.message)")
                }
            }
        }

        @Test("The process exits 2 for a shard from a bad environment variable")
        func badEnvironmentExitCode() throws {
            let child = try EndToEndTests.Child(["run", "fleets/smoke.yaml", "--duration", "1s"],
                                                environment: ["OCPP_FLEET_SHARD": "5/2"])
            #expect(child.finish().code == 2)
            #expect(child.stderrLines.contains { $0.contains("OCPP_FLEET_SHARD: '5/2'") }, "\(child.stderrLines)")
        }
    }
}
