import Foundation
import Testing
@testable import Telemetry

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Markdown and JUnit summaries")
struct ReportFormatsTests {
    /// The sample run (10 of 100 charge points, one CALLERROR and one timeout on
    /// StatusNotification, one transaction left open) with its checks.
    static let report = RunReportTests.sampleReport()

    @Test("The default checks name what they check and fail where the sample run fell short")
    func defaultChecks() {
        let checks = Self.report.defaultChecks
        #expect(checks.map(\.name) == [
            "every charge point connected", "every boot accepted", "no CALL timed out",
            "no CALLERRORs for BootNotification", "no CALLERRORs for Heartbeat",
            "no CALLERRORs for StatusNotification", "every transaction started was stopped",
            "no transaction message was dropped",
        ])
        #expect(checks.map(\.passed) == [false, false, false, true, true, false, false, true])
        #expect(checks[0].message == "10 of 100 charge points connected at the peak")
        #expect(checks[2].message == "timeouts: StatusNotification 1")
        #expect(checks[5].message == "1 CALLERRORs of 10 sent: FormationViolation 1")
        #expect(checks[6].message == "1 started, 0 stopped")
        #expect(checks[7].message == "0 queued offline, 0 replayed, 0 dropped")
    }

    @Test("A clean run passes every default check")
    func cleanRun() {
        let clean = ReportCompareTests.report()
        let failed = clean.defaultChecks.filter { !$0.passed }.map(\.name)
        #expect(failed.isEmpty)
    }

    @Test("The Markdown summary has the header, the tables and the checks")
    func markdown() {
        let text = renderMarkdown(report: Self.report)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "### ocpp-fleet run report")
        #expect(lines.contains(
            "**Seed** 42 · **duration** 60.00 s · **started** 2025-06-15T15:06:40.000Z · "
                + "**CSMS** ws://127.0.0.1:9000/ocpp (embedded) · ocpp-fleet 0.1.0"))
        #expect(lines.contains("| Charge points | configured | connected | boot accepted | connect failures |"))
        #expect(lines.contains("|  | 100 | 10 | 10 | 1 |"))
        #expect(lines.contains("Connect failures: connection refused 1"))
        #expect(lines.contains("| Action | sent | completed | CALLERRORs | timeouts | p50 ms | p99 ms | max ms |"))
        #expect(lines.contains("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"))
        #expect(lines.contains("| BootNotification | 10 | 10 | 0 | 0 | 1.40 | 1.90 | 1.90 |"))
        #expect(lines.contains("| StatusNotification | 10 | 0 | 1 | 1 | – | – | – |"))
        #expect(lines.contains("| Reset | 10 | 10 | 0 |"))
        #expect(lines.contains("|  | 1 | 0 | – | 0 | 0 | 0 |"), "transactions (open at end not measured)")
        #expect(lines.contains("|  | 150000.00 | 1024.00 | 6.00 | 5% | 60.0 | – |"), "client cost")
        #expect(lines.contains("**Checks:** 5 of 8 failed"))
        #expect(lines.contains("- ❌ every transaction started was stopped: 1 started, 0 stopped"))
        #expect(lines.contains("- ✅ no CALLERRORs for Heartbeat: 10 sent, no CALLERRORs"))
        #expect(!text.contains("Warning"))
    }

    @Test("Warnings come right after the header")
    func markdownWarnings() {
        var report = Self.report
        report.warnings = ["client CPU was 95% of 2 cores", "event-loop lag p99 was 80.00 ms"]
        let lines = renderMarkdown(report: report, checks: []).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(Array(lines[3 ... 6]) == [
            "", "> **Warning:** client CPU was 95% of 2 cores", ">", "> **Warning:** event-loop lag p99 was 80.00 ms",
        ])
        #expect(!lines.contains { $0.hasPrefix("**Checks:**") }, "no checks given, none listed")
    }

    @Test("Text from outside the tool cannot break the Markdown table")
    func markdownEscaping() {
        var report = Self.report
        report.actions["Data|Transfer*<b>"] = RunReport.Action(
            sent: 1, completed: 1, callErrors: 0, callErrorsByCode: [:], timeouts: 0)
        let text = renderMarkdown(report: report, checks: [])
        #expect(text.contains(#"| Data\|Transfer\*&lt;b&gt; | 1 | 1 | 0 | 0 | – | – | – |"#))
    }

    @Test("JUnit: one testsuite, a testcase per check, a failure per failed check",
          arguments: [false, true])
    func junit(hostile: Bool) throws {
        var report = Self.report
        var checks = report.defaultChecks
        if hostile {
            report.warnings = ["lag <50 ms> & \"quotes\" 'too'\u{1}\u{FFFF}"]
            report.csms.url = "ws://host/?a=1&b=<2>"
            checks.append((name: "name with <tags> & \"quotes\"\n", passed: false, message: "]]> \u{0} 'x'"))
        }
        let xml = renderJUnit(report: report, checks: checks)
        let parsed = try #require(JUnitCounts(parsing: xml), "not well-formed XML:\n\(xml)")
        #expect(parsed.elements["testsuites"] == 1)
        #expect(parsed.elements["testsuite"] == 1)
        #expect(parsed.elements["testcase"] == checks.count)
        #expect(parsed.elements["failure"] == checks.filter { !$0.passed }.count)
        #expect(parsed.suiteAttributes["tests"] == "\(checks.count)")
        #expect(parsed.suiteAttributes["failures"] == "\(checks.filter { !$0.passed }.count)")
        #expect(parsed.testcaseNames == checks.map(\.name))
        #expect(parsed.properties["seed"] == "42")
        #expect(parsed.properties["csms.url"] == report.csms.url)
        #expect(xml.hasPrefix(#"<?xml version="1.0" encoding="UTF-8"?>"#))
    }
}

/// What an XML parse of a JUnit file found; nil when the text is not well-formed.
private final class JUnitCounts: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var suiteAttributes: [String: String] = [:]
    var testcaseNames: [String] = []
    var properties: [String: String] = [:]

    init?(parsing text: String) {
        super.init()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = self
        guard parser.parse() else { return nil }
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName: String?, attributes: [String: String] = [:]
    ) {
        elements[elementName, default: 0] += 1
        switch elementName {
        case "testsuite": suiteAttributes = attributes
        case "testcase": testcaseNames.append(attributes["name"] ?? "")
        case "property": properties[attributes["name"] ?? ""] = attributes["value"]
        default: break
        }
    }
}
