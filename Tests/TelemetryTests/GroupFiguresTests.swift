import Foundation
import Testing
@testable import Telemetry

/// Each group's figures (`groups` in the report): what a group's charge points did, so a
/// security setting that fails one group shows as that group's.
@Suite("Figures per group")
struct GroupFiguresTests {
    /// Two groups on one loop for three seconds: group 0 cannot connect (401), group 1 connects
    /// two charge points that boot, then loses one.
    static func tallies() -> [GroupTally] {
        let telemetry = LoopTelemetry(groups: 2)
        var tallies = [GroupTally(), GroupTally()]
        func second(_ events: () -> Void) {
            events()
            for (index, sample) in telemetry.flush().groups.enumerated() { tallies[index].add(sample) }
        }
        second {
            telemetry.connectFailed(reason: "HTTP 401", kind: "http-401", group: 0)
            telemetry.connected(group: 1)
            telemetry.connected(group: 1)
            telemetry.bootAccepted(group: 1)
        }
        second {
            telemetry.connectFailed(reason: "HTTP 401", kind: "http-401", group: 0)
            telemetry.connectFailed(reason: "refused", kind: "connect", group: 0)
            telemetry.bootAccepted(group: 1)
            telemetry.disconnected(group: 1)
        }
        second {}
        return tallies
    }

    static func report() -> RunReport {
        var report = RunReportTests.sampleReport()
        let tallies = tallies()
        report.groups = [
            "depot": .init(configured: 5, ocppVersion: "1.6", securityProfile: 2, tally: tallies[0]),
            "park": .init(configured: 2, ocppVersion: "2.0.1", securityProfile: 3, tally: tallies[1]),
        ]
        return report
    }

    @Test("A group's seconds add up: peak connected, boots, failures by kind; other groups' stay out")
    func tally() {
        let tallies = Self.tallies()
        var depot = GroupTally()
        depot.connectionFailures = ["http-401": 2, "connect": 1]
        var park = GroupTally()
        park.peakConnected = 2
        park.bootAccepted = 2
        #expect(tallies == [depot, park])
    }

    @Test("The report carries them (JSON round trip), and the text and Markdown summaries show a row per group")
    func inReport() throws {
        let report = Self.report()
        let json = try JSONSerialization.jsonObject(with: report.jsonData())
        #expect(jsonValue(at: "groups.depot.securityProfile", in: json) as? Int == 2)
        #expect(jsonValue(at: "groups.park.ocppVersion", in: json) as? String == "2.0.1")
        #expect(jsonValue(at: "groups.depot.connectionFailures.http-401", in: json) as? Int == 2)
        #expect(try JSONDecoder().decode(RunReport.self, from: report.jsonData()) == report)

        let text = renderText(report: report).split(separator: "\n").map(String.init)
        let header = try #require(text.firstIndex { $0.hasPrefix("Group") })
        #expect(text[header].split(separator: " ").prefix(2) == ["Group", "OCPP"])
        let words = { (line: String) in line.split(separator: " ").joined(separator: " ") }
        #expect(words(text[header + 1]) == "depot 1.6 2 5 0 0 http-401 2, connect 1")
        #expect(words(text[header + 2]) == "park 2.0.1 3 2 2 2 0")
        #expect(Set(text[header ... header + 2].map(\.count)).count == 1, "columns line up")
        #expect(renderMarkdown(report: report).contains("| depot | 1.6 | 2 | 5 | 0 | 0 | http-401 2, connect 1 |"))
        let page = renderHTML(report: report)
        #expect(page.contains(#"<section id="groups">"#))
        #expect(page.contains(#"<tr><td>park</td><td>2.0.1</td><td class="num">3</td><td class="num">2</td>"#))

        var single = report
        single.groups = ["depot": report.groups!["depot"]!]
        #expect(!renderText(report: single).contains("security profile"), "one group: the fleet's row says it all")
    }

    @Test("A group none of whose charge points connected is a warning naming it, its profile and its failures")
    func unconnectedGroupWarning() {
        var report = Self.report()
        #expect(report.unconnectedGroupWarnings()
            == ["group 'depot': none of its 5 charge point(s) connected (security profile 2; failed attempts: http-401 2, connect 1)"])
        report.groups?["depot"]?.connectionFailures = [:]
        #expect(report.unconnectedGroupWarnings().isEmpty, "no attempt failed: nothing to blame (a ramp longer than the run)")
        report.groups = nil
        #expect(report.unconnectedGroupWarnings().isEmpty)
    }

    @Test("Merging adds a group's counts and keeps its setup; a report without groups makes them unknown")
    func merge() throws {
        let report = Self.report()
        var merged = report
        try merged.merge(report)
        let depot = try #require(merged.groups?["depot"])
        #expect(depot.configured == 10 && depot.securityProfile == 2 && depot.ocppVersion == "1.6")
        #expect(depot.connectionFailures == ["http-401": 4, "connect": 2])
        #expect(merged.groups?["park"]?.connected == 4 && merged.groups?["park"]?.bootAccepted == 4)

        var older = report
        older.groups = nil
        var mixed = report
        try mixed.merge(older)
        #expect(mixed.groups == nil)
    }
}
