import Foundation
import Testing
@testable import Telemetry

@Suite("Transaction messages queued offline, replayed and dropped")
struct TransactionMessageTelemetryTests {
    /// A mix of the three fates, replayable on one loop or split over two.
    static func record(_ range: Range<Int>, into telemetry: LoopTelemetry) {
        for index in range {
            telemetry.transactionMessageQueuedOffline()
            if index % 3 == 0 { telemetry.transactionMessageReplayed() }
            if index % 10 == 0 { telemetry.transactionMessageDropped(reason: index % 20 == 0 ? "overflow" : "attemptsExhausted") }
        }
    }


    @Test("Counts merge exactly across loops and shard reports", arguments: [0, 9, 25, 40])
    func mergeIsExact(split: Int) throws {
        let whole = LoopTelemetry()
        Self.record(0 ..< 40, into: whole)
        let first = LoopTelemetry()
        let second = LoopTelemetry()
        Self.record(0 ..< split, into: first)
        Self.record(split ..< 40, into: second)
        var merged = first.snapshot()
        merged.merge(second.snapshot())
        #expect(merged.transactionMessages == whole.snapshot().transactionMessages)
        #expect(merged.transactionMessages == TransactionMessageCounts(
            queuedOffline: 40, replayed: 14, dropped: ["overflow": 2, "attemptsExhausted": 2]))

        var shards = RunReport.fixture(first)
        shards.transactions.openAtEnd = 1
        shards.transactions.unconfirmedMessagesAtEnd = 0
        var other = RunReport.fixture(second)
        other.transactions.openAtEnd = 2
        other.transactions.unconfirmedMessagesAtEnd = 3
        try shards.merge(other)
        #expect(shards.transactions.messages == merged.transactionMessages)
        #expect(shards.transactions.openAtEnd == 3)
        #expect(shards.transactions.unconfirmedMessagesAtEnd == 3)
    }

    @Test("A report from before schema 1.3 has no such counts: the merge does not invent them")
    func mergeWithOlderReport() throws {
        let telemetry = LoopTelemetry()
        Self.record(0 ..< 5, into: telemetry)
        var report = RunReport.fixture(telemetry)
        report.transactions.openAtEnd = 0
        var old = report
        old.transactions.messages = nil
        old.transactions.openAtEnd = nil
        try report.merge(old)
        #expect(report.transactions.messages == nil)
        #expect(report.transactions.openAtEnd == nil)
        #expect(report.transactions.started == 0)
    }

    @Test("The JSON report, thresholds, JUnit checks, text, Markdown and HTML show them")
    func reportAndRenderers() throws {
        let telemetry = LoopTelemetry()
        Self.record(0 ..< 20, into: telemetry)
        var report = RunReport.fixture(telemetry)
        report.transactions.openAtEnd = 0
        let json = try JSONSerialization.jsonObject(with: report.jsonData())
        #expect(jsonValue(at: "transactions.messages.queuedOffline", in: json) as? Int == 20)
        #expect(jsonValue(at: "transactions.messages.replayed", in: json) as? Int == 7)
        #expect(jsonValue(at: "transactions.messages.dropped.overflow", in: json) as? Int == 1)
        #expect(jsonValue(at: "transactions.openAtEnd", in: json) as? Int == 0)
        #expect(try JSONDecoder().decode(RunReport.self, from: report.jsonData()) == report)

        let check = try #require(report.defaultChecks.first { $0.name == "no transaction message was dropped" })
        #expect(!check.passed)
        #expect(check.message == "20 queued offline, 7 replayed, 2 (attemptsExhausted 1, overflow 1) dropped")

        _ = report.applyThresholds([try Threshold.parse("transactions.messagesDropped == 0"),
                                    try Threshold.parse("transactions.messagesDropped{reason=overflow} <= 1"),
                                    try Threshold.parse("transactions.messagesDropped{reason=noTransactionId} == 0")])
        let results = try #require(report.thresholds)
        #expect(results.map(\.observed) == [2, 1, 0])
        #expect(results.map(\.passed) == [false, true, true])
        #expect(throws: ThresholdParseError.self) { try Threshold.parse("transactions.messagesDropped{kind=x} == 0") }


        let text = renderText(report: report)
        #expect(text.contains("msgs queued offline"))
        #expect(text.contains("2 (attemptsExhausted 1, overflow 1)"))
        let markdown = renderMarkdown(report: report, checks: report.checks)
        #expect(markdown.contains("msgs replayed"))
        #expect(markdown.contains("| 20 | 7 | 2 (attemptsExhausted 1, overflow 1) |"))
        #expect(renderHTML(report: report).contains("messages: 20 queued offline, 7 replayed, 2 (attemptsExhausted 1, overflow 1) dropped"))

        // A report without the counts says "not measured" rather than 0.
        report.transactions.messages = nil
        report.transactions.openAtEnd = nil
        #expect(!renderText(report: report).contains("msgs dropped\n 0"))
        _ = report.applyThresholds([try Threshold.parse("transactions.messagesDropped == 0")])
        #expect(report.thresholds?.first?.passed == false)
    }
}
