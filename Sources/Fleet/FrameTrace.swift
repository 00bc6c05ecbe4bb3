import Foundation
import OCPP
import Synchronization

/// `run --trace PATTERN`: every frame of the charge points whose id matches `PATTERN`, both
/// directions, as JSON lines (`trace.jsonl`):
///
/// ```
/// {"time":"2026-05-28T20:26:40.123456Z","cp":"CP-0001","dir":"out","frame":"[2,\"1\",\"BootNotification\",{…}]"}
/// ```
///
/// `dir` is `out` (charge point → CSMS) or `in`; `frame` is the frame's text (secrets redacted as
/// in `FrameExcerpt`: the AuthorizationKey and any password); a binary frame from the CSMS is
/// `{"…","dir":"in","binary":true}` without its bytes. Only charge points that match pay anything:
/// the others hold no reference to the trace. Lines are buffered under a lock (shared by the
/// loops' traced charge points) and written by a serial dispatch queue, never on an event loop;
/// after `limitBytes` (100 MiB by default) one last line `{"note":"trace stopped …"}` is
/// written and later frames are only counted.
public final class FrameTrace: Sendable {
    public static let defaultLimitBytes = 100 * 1_048_576
    /// Buffered bytes that trigger a write.
    static let chunkBytes = 64 * 1024
    /// Room kept for the closing note, so the file stays within the limit.
    static let noteReserve = 160

    public let pattern: String
    public let path: String
    private let limitBytes: Int
    private let handle: FileHandle
    private let queue = DispatchQueue(label: "ocpp-fleet.trace")
    private let state = Mutex(State())

    private struct State {
        var buffer: [UInt8] = []
        /// Bytes handed to the writer (or buffered), the note included.
        var accepted = 0
        var frames = 0
        var dropped = 0
        var stopped = false
        var closed = false
        var lastFlush = ContinuousClock.now
    }

    /// What the trace holds, for the end of the run.
    public struct Summary: Sendable, Equatable {
        public var frames: Int
        public var bytes: Int
        /// Frames past the size limit, not written.
        public var dropped: Int
    }

    /// Creates (or empties) the file at `path`.
    public init(pattern: String, path: String, limitBytes: Int = FrameTrace.defaultLimitBytes) throws {
        self.pattern = pattern
        self.path = path
        self.limitBytes = max(1, limitBytes)
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    /// Whether charge point `id` is traced: `pattern` is a glob (`*` any run of characters, `?`
    /// one character, nothing else special) matched against the whole id, so a pattern without
    /// wildcards is an exact id.
    public func matches(_ id: String) -> Bool { Self.glob(pattern, matches: id) }

    static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern.unicodeScalars)
        let t = Array(text.unicodeScalars)
        var pi = 0, ti = 0
        var star: Int?
        var mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if let star {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    enum Direction: String { case sent = "out", received = "in" }

    /// A text frame sent or received by `chargePoint` at `time`.
    func record(_ direction: Direction, chargePoint: String, time: Timestamp, frame: [UInt8]) {
        var writer = JSONWriter(capacity: frame.count + 96)
        writer.beginObject()
        writer.key("time"); writer.string(time.rfc3339Micros)
        writer.key("cp"); writer.string(chargePoint)
        writer.key("dir"); writer.string(direction.rawValue)
        writer.key("frame"); writer.string(FrameExcerpt.redacted(frame))
        writer.endObject()
        append(writer.bytes)
    }

    /// A binary frame from the CSMS (its bytes are not kept).
    func recordBinary(chargePoint: String, time: Timestamp) {
        var writer = JSONWriter(capacity: 96)
        writer.beginObject()
        writer.key("time"); writer.string(time.rfc3339Micros)
        writer.key("cp"); writer.string(chargePoint)
        writer.key("dir"); writer.string(Direction.received.rawValue)
        writer.key("binary"); writer.bool(true)
        writer.endObject()
        append(writer.bytes)
    }

    private func append(_ line: [UInt8]) {
        let chunk: [UInt8]? = state.withLock { state in
            guard !state.stopped, !state.closed else { state.dropped += 1; return nil }
            if state.accepted + line.count + 1 + Self.noteReserve > limitBytes {
                state.stopped = true
                state.dropped += 1
                let note = "{\"note\":\"trace stopped after \(state.accepted) bytes (limit \(limitBytes)); "
                    + "later frames are not written\"}\n"
                state.buffer.append(contentsOf: note.utf8)
                state.accepted += note.utf8.count
            } else {
                state.buffer.append(contentsOf: line)
                state.buffer.append(UInt8(ascii: "\n"))
                state.accepted += line.count + 1
                state.frames += 1
            }
            let now = ContinuousClock.now
            guard state.stopped || state.buffer.count >= Self.chunkBytes || now - state.lastFlush >= .seconds(1) else {
                return nil
            }
            state.lastFlush = now
            defer { state.buffer.removeAll(keepingCapacity: true) }
            return state.buffer
        }
        if let chunk { queue.async { self.write(chunk) } }
    }

    private func write(_ bytes: [UInt8]) {
        do {
            try handle.write(contentsOf: Data(bytes))
        } catch {
            // A full disk must not end the run; the summary still counts the frames.
        }
    }

    /// Writes what is buffered, waits for the writer and closes the file. Later frames are dropped.
    @discardableResult
    public func close() -> Summary {
        let (rest, summary): ([UInt8], Summary) = state.withLock { state in
            state.closed = true
            defer { state.buffer = [] }
            return (state.buffer, Summary(frames: state.frames, bytes: state.accepted, dropped: state.dropped))
        }
        queue.sync {
            if !rest.isEmpty { write(rest) }
            try? handle.close()
        }
        return summary
    }
}

extension Timestamp {
    /// RFC 3339 in UTC with microseconds: `2026-05-28T20:26:40.123456Z` (times after 1970).
    var rfc3339Micros: String {
        let text = iso8601  // …T20:26:40.123Z
        let fraction = String(microseconds % 1_000_000)
        return String(text.prefix(19)) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }
}
