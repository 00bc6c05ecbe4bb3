import ArgumentParser
import Foundation
import Testing

@testable import ocpp_fleet

/// `ocpp-fleet report merge|compare|summary` on report files written from JSON text, so the
/// file format itself is under test too.
@Suite("report merge, compare and summary")
struct ReportCommandTests {
    /// Histograms of ten values at 1 000 µs and at 1 300 µs (docs/report-schema.md's encoding).
    static let fast = (histogram: "AQPoB+gH6AcK", micros: 1_000)
    static let slow = (histogram: "AQOUCpQKlAoK", micros: 1_300)

    /// A report of ten charge points that each sent one BootNotification, answered in
    /// `latency`; `errors` of them got a CALLERROR instead.
    static func reportJSON(
        latency: (histogram: String, micros: Int) = fast, errors: Int = 0, schemaVersion: Int = 1
    ) -> String {
        let m = latency.micros
        return """
            {
              "schemaVersion": \(schemaVersion),
              "tool": { "name": "ocpp-fleet", "version": "0.1.0" },
              "seed": 42,
              "startedAt": "2025-06-15T15:06:40.000Z",
              "durationSeconds": 60,
              "csms": { "url": "ws://127.0.0.1:9000/ocpp", "embedded": true },
              "chargePoints": {
                "configured": 10, "connected": 10, "bootAccepted": 10, "connectFailures": {},
                "connectionsOpened": 10, "connectionsClosed": 10
              },
              "actions": {
                "BootNotification": {
                  "sent": \(10 + errors), "completed": 10, "callErrors": \(errors),
                  "callErrorsByCode": \(errors > 0 ? #"{ "InternalError": \#(errors) }"# : "{}"), "timeouts": 0,
                  "histogram": "\(latency.histogram)",
                  "latencyMicros": { "p50": \(m), "p90": \(m), "p99": \(m), "p999": \(m), "max": \(m), "mean": \(m), "count": 10 }
                }
              },
              "incoming": {},
              "transactions": { "started": 0, "stopped": 0 },
              "client": { "cpuSeconds": 0.5, "callsHandled": 10, "cpuMicrosPerCall": 50000 },
              "warnings": []
            }
            """
    }

    /// A fresh directory holding `files` (name → contents), removed after `body`.
    func withFiles<T>(_ files: [String: String], _ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-tests-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, contents) in files {
            try Data(contents.utf8).write(to: directory.appendingPathComponent(name))
        }
        return try body(directory)
    }

    /// The exit code `body` ends with: nil when it returns, the ``Exit`` code when it throws one.
    func exitCode(_ body: () throws -> Void) -> Int32? {
        do {
            try body()
            return nil
        } catch let exit as Exit {
            return exit.code
        } catch {
            Issue.record("unexpected error \(error)")
            return -1
        }
    }

    func parse<Command: ParsableCommand>(_ arguments: [String], as _: Command.Type) throws -> Command {
        try #require(try OCPPFleet.parseAsRoot(arguments) as? Command)
    }

    @Test("Each report command's help, at 80 columns, matches its snapshot",
          arguments: ["report", "report-merge", "report-compare", "report-summary", "report-html"])
    func help(command: String) throws {
        let type: any ParsableCommand.Type = switch command {
        case "report-merge": ReportCommand.Merge.self
        case "report-compare": ReportCommand.Compare.self
        case "report-summary": ReportCommand.Summary.self
        case "report-html": ReportCommand.HTML.self
        default: ReportCommand.self
        }
        try HelpTests().assertSnapshot(OCPPFleet.helpMessage(for: type, columns: 80), named: command)
    }

    @Test("--max-regression reads a percentage, with or without the sign",
          arguments: [("10%", 0.1), ("12.5%", 0.125), ("25", 0.25), ("0%", 0.0)])
    func maxRegression(argument: String, fraction: Double) throws {
        let command = try parse(["report", "compare", "a.json", "b.json", "--max-regression", argument],
                                as: ReportCommand.Compare.self)
        #expect(command.maxRegression.fraction == fraction)
        #expect(try parse(["report", "compare", "a.json", "b.json"], as: ReportCommand.Compare.self)
            .maxRegression.fraction == 0.1)
    }

    @Test("Bad report command lines are refused with exit code 2", arguments: [
        ["report", "compare", "a.json", "b.json", "--max-regression", "-5%"],
        ["report", "compare", "a.json", "b.json", "--max-regression", "ten"],
        ["report", "compare", "a.json", "b.json", "--format", "markdown"],
        ["report", "compare", "a.json"],
        ["report", "summary", "a.json", "--format", "html"],
        ["report", "merge"],
    ])
    func rejected(arguments: [String]) {
        do {
            _ = try OCPPFleet.parseAsRoot(arguments)
            Issue.record("\(arguments) parsed")
        } catch {
            #expect(OCPPFleet.exitCode(for: error) == .validationFailure, "maps to exit code 2")
        }
    }

    @Test("A file that is not a readable report of this schema version is refused, naming the file", arguments: [
        ("missing.json", nil, "missing.json: no such file"),
        ("text.json", "not json", "text.json: not a run report: not a JSON object"),
        ("other.json", #"{ "name": "x" }"#, "other.json: not a run report: no schemaVersion"),
        ("v2.json", reportJSON(schemaVersion: 2), "v2.json: report schema version 2; this ocpp-fleet reads version 1"),
        ("cut.json", #"{ "schemaVersion": 1, "tool": { "name": "ocpp-fleet" } }"#, "cut.json: not a run report: missing tool.version"),
    ] as [(String, String?, String)])
    func badInput(name: String, contents: String?, message: String) throws {
        try withFiles(contents.map { [name: $0] } ?? [:]) { directory in
            let path = directory.appendingPathComponent(name).path
            #expect(throws: ReportInputError(path: path, reason: String(message.dropFirst(name.count + 2)))) {
                _ = try loadReport(path)
            }
            #expect(exitCode { try parse(["report", "summary", path], as: ReportCommand.Summary.self).run() } == 2)
            #expect(exitCode {
                try parse(["report", "compare", path, path], as: ReportCommand.Compare.self).run()
            } == 2)
            #expect(exitCode { try parse(["report", "merge", path], as: ReportCommand.Merge.self).run() } == 2)
        }
    }

    @Test("Merging a report with itself writes one with every counter doubled and the same percentiles")
    func mergeWithSelf() throws {
        try withFiles(["a.json": Self.reportJSON(errors: 2)]) { directory in
            let input = directory.appendingPathComponent("a.json").path
            let output = directory.appendingPathComponent("merged.json").path
            try parse(["report", "merge", input, input, "-o", output], as: ReportCommand.Merge.self).run()
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output)))
            let boot = try #require((json as? [String: Any]).flatMap { $0["actions"] as? [String: Any] }?["BootNotification"]
                as? [String: Any])
            #expect(boot["sent"] as? Int == 24)
            #expect(boot["completed"] as? Int == 20)
            #expect(boot["callErrors"] as? Int == 4)
            #expect(boot["callErrorsByCode"] as? [String: Int] == ["InternalError": 4])
            let latency = try #require(boot["latencyMicros"] as? [String: Any])
            #expect(latency["p50"] as? Int == 1_000)
            #expect(latency["p99"] as? Int == 1_000)
            #expect(latency["count"] as? Int == 20)
            let points = (json as? [String: Any])?["chargePoints"] as? [String: Any]
            #expect(points?["configured"] as? Int == 20)
            #expect(points?["bootAccepted"] as? Int == 20)
            #expect(((json as? [String: Any])?["client"] as? [String: Any])?["callsHandled"] as? Int == 20)
        }
    }

    @Test("Comparing a report with itself passes at a zero threshold")
    func compareSelf() throws {
        try withFiles(["a.json": Self.reportJSON()]) { directory in
            let path = directory.appendingPathComponent("a.json").path
            let command = try parse(["report", "compare", path, path, "--max-regression", "0%"], as: ReportCommand.Compare.self)
            let (output, passed) = try command.comparison()
            #expect(passed)
            #expect(output.hasSuffix("PASS: no regression beyond 0%\n"))
            #expect(exitCode { try command.run() } == nil)
        }
    }

    @Test("A 30% slower p99 fails at 10% with exit code 1 and passes at 35%", arguments: [("10%", false), ("35%", true)])
    func compareSlower(threshold: String, passes: Bool) throws {
        try withFiles(["base.json": Self.reportJSON(), "new.json": Self.reportJSON(latency: Self.slow)]) { directory in
            let base = directory.appendingPathComponent("base.json").path
            let new = directory.appendingPathComponent("new.json").path
            let command = try parse(["report", "compare", base, new, "--max-regression", threshold],
                                    as: ReportCommand.Compare.self)
            let (output, passed) = try command.comparison()
            #expect(passed == passes)
            let lines = output.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("BootNotification  p50 ms") && $0.contains("1.00      1.30  +30.0%") })
            #expect(lines.contains { $0.contains("p99 ms") && $0.hasSuffix(passes ? "+30.0%" : "+30.0%  REGRESSION") })
            if !passes {
                #expect(lines.contains("FAIL: 2 regressions (max regression 10%)"))
                #expect(lines.contains("  BootNotification p99 latency rose 30.0% (1.00 ms → 1.30 ms), more than 10%"))
            }
            #expect(exitCode { try command.run() } == (passes ? nil : 1))
        }
    }

    @Test("compare --format json prints the comparison with its documented keys")
    func compareJSON() throws {
        try withFiles(["base.json": Self.reportJSON(), "new.json": Self.reportJSON(errors: 1)]) { directory in
            let base = directory.appendingPathComponent("base.json").path
            let new = directory.appendingPathComponent("new.json").path
            let (output, passed) = try parse(["report", "compare", base, new, "--format", "json"],
                                             as: ReportCommand.Compare.self).comparison()
            #expect(!passed)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
            #expect(json["maxRegression"] as? Double == 0.1)
            let errors = ((json["actions"] as? [String: Any])?["BootNotification"] as? [String: Any])?["callErrors"]
                as? [String: Any]
            #expect(errors?["base"] as? Int == 0)
            #expect(errors?["new"] as? Int == 1)
            #expect(errors?["regressed"] as? Bool == true)
            #expect(errors?["change"] == nil, "a rise from zero has no relative change")
            #expect((json["regressions"] as? [[String: Any]])?.first?["metric"] as? String == "callErrors")
        }
    }

    @Test("summary prints Markdown or JUnit and exits 1 when a check fails",
          arguments: [("markdown", 0), ("junit", 0), ("markdown", 1), ("junit", 1)])
    func summary(format: String, errors: Int) throws {
        try withFiles(["a.json": Self.reportJSON(errors: errors)]) { directory in
            let path = directory.appendingPathComponent("a.json").path
            let command = try parse(["report", "summary", path, "--format", format], as: ReportCommand.Summary.self)
            let (output, passed) = try command.summary()
            #expect(passed == (errors == 0))
            if format == "markdown" {
                #expect(output.hasPrefix("### ocpp-fleet run report\n"))
                #expect(output.contains(errors == 0 ? "**Checks:** all 5 passed" : "**Checks:** 1 of 5 failed"))
            } else {
                #expect(output.hasPrefix(#"<?xml version="1.0" encoding="UTF-8"?>"#))
                #expect(output.contains(#"tests="5" failures="\#(errors)""#))
                #expect(output.contains(#"<testcase classname="ocpp-fleet" name="no CALLERRORs for BootNotification""#))
            }
            #expect(exitCode { try command.run() } == (errors == 0 ? nil : 1))
        }
    }
}
