import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The built `ocpp-fleet` run as a user runs it, the way issue 7 is tried: a 25-second run of
/// fleets/smoke.yaml with --report and --prometheus, scraped over HTTP while it runs; the four
/// reports; thresholds deciding the exit code; compare and merge of a report with itself.
@Suite("ocpp-fleet end to end", .serialized, .timeLimit(.minutes(5)))
struct EndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The executable beside the test bundle (`swift build --build-tests` builds both).
    static func binary() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            root.appendingPathComponent(".build/debug"),
        ].map { $0.appendingPathComponent("ocpp-fleet") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw ToolError("no ocpp-fleet executable in \(candidates.map(\.path)); run swift build first")
        }
        return found
    }

    struct ToolError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A running `ocpp-fleet` with its stderr collected line by line.
    final class Child: @unchecked Sendable {
        // @unchecked: `lines` is guarded by `lock`; the process is used from the test's task.
        let process = Process()
        private let lock = NSLock()
        private var lines: [String] = []
        private let stdout = Pipe()
        private let stderr = Pipe()

        /// `shell`: run through `/bin/sh -c shell` with the arguments as `$@` (e.g. to set a ulimit first).
        init(_ arguments: [String], environment: [String: String] = [:], shell: String? = nil) throws {
            if let shell {
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", shell, "ocpp-fleet"] + arguments
            } else {
                process.executableURL = try EndToEndTests.binary()
                process.arguments = arguments
            }
            if !environment.isEmpty {
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            }
            process.currentDirectoryURL = EndToEndTests.root
            process.standardOutput = stdout
            process.standardError = stderr
            process.standardInput = FileHandle.nullDevice
            let handle = stderr.fileHandleForReading
            handle.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self, !data.isEmpty else { return }
                let text = String(decoding: data, as: UTF8.self)
                self.lock.withLock { self.lines.append(contentsOf: text.split(separator: "\n").map(String.init)) }
            }
            try process.run()
        }

        var stderrLines: [String] { lock.withLock { lines } }

        /// Waits (polling) for a stderr line containing `text`; nil if the process ends first.
        func line(containing text: String) async throws -> String? {
            while true {
                if let line = stderrLines.first(where: { $0.contains(text) }) { return line }
                if !process.isRunning { return nil }
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        /// Waits for the exit; returns the exit code and stdout.
        func finish() -> (code: Int32, stdout: String) {
            let output = stdout.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            stderr.fileHandleForReading.readabilityHandler = nil
            let rest = stderr.fileHandleForReading.readDataToEndOfFile()
            if !rest.isEmpty {
                let text = String(decoding: rest, as: UTF8.self)
                lock.withLock { lines.append(contentsOf: text.split(separator: "\n").map(String.init)) }
            }
            return (process.terminationStatus, String(decoding: output, as: UTF8.self))
        }
    }

    static func scrape(_ url: URL) async throws -> String {
        let (data, response) = try await URLSession.shared.data(from: url)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("text/plain") == true)
        return String(decoding: data, as: UTF8.self)
    }

    /// The value of the sample `name{labels}` in Prometheus text; nil if absent.
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test("A 25 s smoke run: live metrics scraped over HTTP, four reports, a holding threshold exits 0")
    func smokeRun() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try Child(["run", "fleets/smoke.yaml", "--duration", "25s", "--report", directory.path,
                               "--prometheus", "127.0.0.1:0", "--threshold", "latency.p99{action=BootNotification} < 30s"])
        let announced = try #require(try await child.line(containing: "metrics at http://"), "\(child.stderrLines)")
        let url = try #require(URL(string: String(announced[announced.range(of: "http://")!.lowerBound...])))

        // Scrape while the fleet runs: once early, once late; counters only grow.
        try await Task.sleep(for: .seconds(8))
        let early = try await Self.scrape(url)
        try await Task.sleep(for: .seconds(8))
        let late = try await Self.scrape(url)
        #expect(child.process.isRunning, "both scrapes happened during the run")
        let boots = #"ocpp_fleet_calls_sent_total{action="BootNotification",group="smoke"}"#
        #expect(Self.sample(early, boots).map { $0 > 0 } == true, "\(early.prefix(2_000))")
        #expect(Self.sample(late, boots) == 100)
        for name in ["ocpp_fleet_calls_completed_total", "ocpp_fleet_call_latency_seconds_bucket",
                     "ocpp_fleet_connected_charge_points{group=\"smoke\"}", "ocpp_fleet_client_cpu_seconds_total",
                     "ocpp_fleet_client_rss_bytes", "ocpp_fleet_call_timeouts_total"] {
            #expect(late.contains(name), "\(name) missing")
        }
        #expect(Self.sample(late, #"ocpp_fleet_connected_charge_points{group="smoke"}"#) == 100)

        let (code, stdout) = child.finish()
        #expect(code == 0, "stderr: \(child.stderrLines.joined(separator: "\n"))")
        #expect(stdout.contains("Action"))

        // The four reports.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("report.json")))
        let report = try #require(json as? [String: Any])
        let thresholds = try #require(report["thresholds"] as? [[String: Any]])
        #expect(thresholds.count == 5, "four from smoke.yaml, one from the command line")
        #expect(thresholds.allSatisfy { $0["passed"] as? Bool == true }, "\(thresholds)")
        let points = try #require((report["timeSeries"] as? [String: Any])?["points"] as? [[String: Any]])
        #expect(points.count >= 25)
        let sentOverTime = points.reduce(0) { $0 + ($1["sent"] as? Int ?? 0) }
        let sent = (report["actions"] as? [String: [String: Any]])?.values.reduce(0) { $0 + ($1["sent"] as? Int ?? 0) }
        #expect(sentOverTime == sent, "the time series adds up to the run's totals")

        // The embedded CSMS's own counts, beside the charge points': they must agree.
        let counted = try #require((report["csms"] as? [String: Any])?["counted"] as? [String: Any])
        let actions = try #require(report["actions"] as? [String: [String: Any]])
        let received = try #require(counted["received"] as? [String: Int])
        for action in ["BootNotification", "StartTransaction", "StopTransaction"] {
            #expect(received[action] == actions[action]?["sent"] as? Int, "\(action): CSMS \(received[action] ?? 0)")
        }
        let transactions = try #require(report["transactions"] as? [String: Any])
        #expect(counted["transactionsStarted"] as? Int == transactions["started"] as? Int)
        #expect(counted["openTransactions"] as? Int == 0)
        #expect(counted["violations"] as? Int == 0)

        let junit = try XMLDocument(contentsOf: directory.appendingPathComponent("junit.xml"))
        let cases = try junit.nodes(forXPath: "//testcase")
        #expect(cases.count == 5)
        #expect(try junit.nodes(forXPath: "//failure").isEmpty)

        let summary = try String(contentsOf: directory.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(summary.contains("**Thresholds:** all 5 held"))

        let html = try String(contentsOf: directory.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"))
        #expect(html.components(separatedBy: "<svg ").count - 1 >= 6)

        // report compare of the report with itself passes; merge with itself doubles every counter.
        let path = directory.appendingPathComponent("report.json").path
        let compare = try Child(["report", "compare", path, path, "--max-regression", "0%"])
        let compared = compare.finish()
        #expect(compared.code == 0)
        #expect(compared.stdout.contains("PASS"))
        let mergedPath = directory.appendingPathComponent("merged.json").path
        #expect(try Child(["report", "merge", path, path, "-o", mergedPath]).finish().code == 0)
        let merged = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: mergedPath)))
            as? [String: Any])
        try Self.expectDoubled(report, merged)

        // report html re-renders the page from the JSON.
        let rendered = try Child(["report", "html", path]).finish()
        #expect(rendered.code == 0)
        #expect(rendered.stdout.components(separatedBy: "<svg ").count == html.components(separatedBy: "<svg ").count)
    }

    /// Every counter of `merged` is twice the one in `single`.
    static func expectDoubled(_ single: [String: Any], _ merged: [String: Any]) throws {
        var checked = 0
        func check(_ path: String) {
            guard let one = jsonNumber(path, single), let two = jsonNumber(path, merged) else {
                Issue.record("\(path) missing")
                return
            }
            #expect(two == 2 * one, "\(path): \(one) merged with itself gave \(two)")
            checked += 1
        }
        for key in ["configured", "connected", "bootAccepted", "connectionsOpened", "connectionsClosed"] {
            check("chargePoints.\(key)")
        }
        check("transactions.started")
        check("transactions.stopped")
        check("client.callsHandled")
        for (name, _) in single["actions"] as? [String: Any] ?? [:] {
            for key in ["sent", "completed", "callErrors", "timeouts", "latencyMicros.count"] where
                jsonNumber("actions.\(name).\(key)", single) != nil {
                check("actions.\(name).\(key)")
            }
        }
        let onePoints = (single["timeSeries"] as? [String: Any])?["points"] as? [[String: Any]] ?? []
        let twoPoints = (merged["timeSeries"] as? [String: Any])?["points"] as? [[String: Any]] ?? []
        #expect(onePoints.count == twoPoints.count)
        for (one, two) in zip(onePoints, twoPoints) {
            for key in ["sent", "completed", "callErrors", "timeouts", "incoming", "connectFailures"] {
                #expect((two[key] as? Int) == (one[key] as? Int).map { $0 * 2 }, "timeSeries \(key)")
            }
        }
        #expect(checked > 10)
    }

    static func jsonNumber(_ path: String, _ root: [String: Any]) -> Double? {
        var node: Any? = root
        for key in path.split(separator: ".") { node = (node as? [String: Any])?[String(key)] }
        return (node as? NSNumber)?.doubleValue
    }

    @Test("--trace writes every frame of the matching charge points, and only theirs, as OCPP-J in JSON lines")
    func traceRun() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try Child(["run", "fleets/smoke.yaml", "--charge-points", "12", "--duration", "6s", "--quiet",
                               "--report", directory.path, "--trace", "SMOKE-00?"])
        let (code, _) = child.finish()
        #expect(code == 0, "\(child.stderrLines)")
        // Ids count from 1 (SMOKE-001 … SMOKE-009), or from 0 (SMOKE-000 … SMOKE-009).
        let announced = try #require(child.stderrLines.first { $0.contains("matching 'SMOKE-00?'") }, "\(child.stderrLines)")
        let traced = try #require(Int(announced.components(separatedBy: "tracing the frames of ").last?
            .split(separator: " ").first ?? ""), "\(announced)")
        #expect(traced == 9 || traced == 10, "\(announced)")
        let text = try String(contentsOf: directory.appendingPathComponent("trace.jsonl"), encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count > 20)
        var ids = Set<String>()
        var directions = Set<String>()
        var actions = Set<String>()
        for line in lines {
            let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let id = try #require(entry["cp"] as? String)
            #expect(id.hasPrefix("SMOKE-00") && id.count == 9, "only matching ids: \(id)")
            ids.insert(id)
            directions.insert(entry["dir"] as? String ?? "?")
            #expect((entry["time"] as? String)?.hasSuffix("Z") == true)
            let frame = try #require(entry["frame"] as? String, "\(line)")
            let message = try #require(try JSONSerialization.jsonObject(with: Data(frame.utf8)) as? [Any], "\(frame)")
            let type = try #require(message.first as? Int)
            #expect([2, 3, 4].contains(type), "an OCPP-J message: \(frame)")
            #expect(message.count >= 3 && message[1] is String, "\(frame)")
            if type == 2, let action = message[2] as? String { actions.insert(action) }
        }
        #expect(ids.count == traced, "every matching charge point: \(ids.sorted())")
        #expect(directions == ["in", "out"])
        #expect(actions.contains("BootNotification") && actions.contains("StatusNotification"))
    }

    @Test("A threshold that cannot hold exits 1 and names it; a malformed one exits 2 with its column")
    func thresholdsDecideTheExitCode() throws {
        let failing = try Child(["run", "fleets/smoke.yaml", "--charge-points", "5", "--duration", "4s",
                                 "--threshold", "latency.p99 < 1us", "--threshold", "timeouts == 0"])
        let failed = failing.finish()
        #expect(failed.code == 1, "\(failing.stderrLines)")
        let stderr = failing.stderrLines.joined(separator: "\n")
        #expect(stderr.contains("threshold(s) not met"))
        #expect(stderr.contains("✗ latency.p99 < 1us"))
        #expect(!stderr.contains("✗ timeouts == 0"))

        let malformed = try Child(["run", "fleets/smoke.yaml", "--threshold", "latency.p99 < 800"])
        #expect(malformed.finish().code == 2)
        #expect(malformed.stderrLines.joined(separator: "\n").contains("column 18: latency.p99 is a duration"))
    }

    @Test("A value the run cannot use exits 2 before anything starts, naming the option",
          arguments: [(["--duration", "ten seconds"], "is not a positive duration"),
                      (["--duration", "0s"], "is not a positive duration"),
                      (["--max-frame-size", "100"], "is not a size from 1 KiB to 64 MiB"),
                      (["--max-frame-size", "1MB"], "is not a size from 1 KiB to 64 MiB"),
                      (["--ocpp-version", "2.0"], "Please provide one of '1.6' and '2.0.1'")])
    func badRunValues(arguments: [String], message: String) throws {
        let child = try Child(["run", "fleets/smoke.yaml"] + arguments)
        #expect(child.finish().code == 2)
        #expect(child.stderrLines.joined(separator: "\n").contains(message), "\(child.stderrLines)")
    }
}
