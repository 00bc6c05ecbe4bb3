import Foundation
import OCPP
import Testing
@testable import Fleet

@Suite("--trace: the frame trace file")
struct FrameTraceTests {
    @Test("Globs: * any run, ? one character, otherwise the exact id", arguments: [
        ("CP-00*", "CP-001", true), ("CP-00*", "CP-00", true), ("CP-00*", "CP-010", false),
        ("CP-00?", "CP-001", true), ("CP-00?", "CP-0011", false), ("CP-001", "CP-001", true),
        ("CP-001", "CP-0012", false), ("*", "anything", true), ("*-7", "A-B-7", true), ("a*b*c", "abxbc", true),
        ("a*b*c", "abxbd", false),
    ])
    func glob(pattern: String, id: String, matches: Bool) {
        #expect(FrameTrace.glob(pattern, matches: id) == matches)
    }

    @Test("Lines are JSON with time, id, direction and the redacted frame; the size limit ends it with a note")
    func linesAndLimit() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let trace = try FrameTrace(pattern: "CP-1", path: path, limitBytes: 1_000)
        let time = Timestamp(microseconds: 1_780_000_000_123_456)
        trace.record(.sent, chargePoint: "CP-1", time: time, frame: Array(#"[2,"1","Heartbeat",{}]"#.utf8))
        trace.record(.received, chargePoint: "CP-1", time: time,
                     frame: Array(#"[2,"9","ChangeConfiguration",{"key":"AuthorizationKey","value":"t0p-s3cret"}]"#.utf8))
        trace.recordBinary(chargePoint: "CP-1", time: time)
        for _ in 0 ..< 20 {
            trace.record(.sent, chargePoint: "CP-1", time: time, frame: Array(#"[3,"9",{"status":"Accepted"}]"#.utf8))
        }
        let summary = trace.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(!text.contains("t0p-s3cret"))
        #expect(text.utf8.count <= 1_000)
        #expect(summary.dropped > 0 && summary.frames + summary.dropped == 23)
        #expect(lines.count == summary.frames + 1)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["time"] as? String == "2026-05-28T20:26:40.123456Z")
        #expect(first["cp"] as? String == "CP-1")
        #expect(first["dir"] as? String == "out")
        #expect(first["frame"] as? String == #"[2,"1","Heartbeat",{}]"#)
        #expect(lines[1].contains(#"\"value\":\"***\""#))
        #expect(lines[2].contains(#""binary":true"#))
        #expect(lines.last?.hasPrefix(#"{"note":"trace stopped after"#) == true)
    }
}
