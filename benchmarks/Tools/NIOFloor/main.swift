// nio-floor: the cheapest OCPP-J 1.6 client we know how to write on SwiftNIO, to measure what NIO
// itself adds to the kernel's cost (benchmarks/tools/floor-client.c) at the same connection count
// and call rate. It does exactly what floor-client.c does, with the same command line and the same
// JSON report, so benchmarks/fleet-bench runs both the same way:
//
// One NIO `MultiThreadedEventLoopGroup` (one loop per core, as `ocpp-fleet run`), one channel per
// charge point with one handler in its pipeline (the HTTP upgrade, then RFC 6455 frames), TCP_NODELAY
// and ocpp-fleet's receive allocator. Each charge point connects, upgrades to a WebSocket
// (subprotocol ocpp1.6) and sends a BootNotification; then each loop sends its share of --rate
// schema-valid CALLs per second (Heartbeat, StatusNotification, MeterValues, Authorize, in turn) on a
// 20 ms repeated task, round robin over its booted charge points, at most one call outstanding per
// charge point (OCPP-J 1.6 §4.1.1). No JSON library, no OCPP logic, no telemetry beyond counters: a
// floor for what a client on NIO pays, not a simulator.
//
// usage: nio-floor --port P [--host 127.0.0.1] [--path /ocpp] [--charge-points N]
//                  [--rate CALLS_PER_S] [--duration S] [--ramp-up S] [--threads N]

import Foundation
import NIOCore
import NIOPosix

let tickMillis: Int64 = 20

struct Options {
    var host = "127.0.0.1"
    var port = 0
    var path = "/ocpp"
    var chargePoints = 1000
    var rate = 100.0
    var duration = 30.0
    var rampUp = 5.0
    var threads = System.coreCount

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 1
        while index + 1 < arguments.count {
            let value = arguments[index + 1]
            switch arguments[index] {
            case "--host": options.host = value
            case "--port": options.port = Int(value) ?? 0
            case "--path": options.path = value
            case "--charge-points": options.chargePoints = Int(value) ?? 0
            case "--rate": options.rate = Double(value) ?? 0
            case "--duration": options.duration = Double(value) ?? 0
            case "--ramp-up": options.rampUp = Double(value) ?? 0
            case "--threads": options.threads = max(1, Int(value) ?? 1)
            default:
                FileHandle.standardError.write(Data("nio-floor: unknown option \(arguments[index])\n".utf8))
                exit(2)
            }
            index += 2
        }
        if options.port <= 0 || options.chargePoints <= 0 {
            FileHandle.standardError.write(Data("nio-floor: --port and --charge-points required\n".utf8))
            exit(2)
        }
        return options
    }
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

func wallSecond() -> Int { Int(time(nil)) }

/// Everything of one event loop: its charge points, its share of the call rate, its counters.
/// Touched only on that loop (the handlers and the repeated task run there; the report is read
/// through `submit` once the run is over).
final class LoopFloor: @unchecked Sendable {
    let loop: any EventLoop
    let startSecond: Int
    let ratePerTick: Double
    var chargePoints: [FloorConnection] = []
    var cursor = 0
    var owed = 0.0
    var kind = 1
    var random: UInt64
    var timestamp: [UInt8] = Array("1970-01-01T00:00:00Z".utf8)
    var payload: [UInt8] = []
    var completedPerSecond = [Int](repeating: 0, count: 4096)
    var connected = 0, booted = 0, errors = 0, callsSent = 0, callsErrored = 0, upgradeFailures = 0
    var firstConnect = 0.0, firstBootSent = 0.0, lastBootAccepted = 0.0
    /// The ramp: this loop's charge points (index % loops) and how many of them were started.
    var mine: [Int] = []
    var started = 0
    var ticks = 0

    init(loop: any EventLoop, startSecond: Int, ratePerSecond: Double, seed: UInt64) {
        self.loop = loop
        self.startSecond = startSecond
        self.ratePerTick = ratePerSecond * Double(tickMillis) / 1000
        self.random = seed
        payload.reserveCapacity(512)
    }

    func nextRandom() -> UInt32 {
        random ^= random << 13; random ^= random >> 7; random ^= random << 17
        return UInt32(truncatingIfNeeded: random)
    }

    /// One 20 ms tick: the timestamp for this tick's calls, then the calls owed, round robin.
    func tick() {
        var wall = time(nil)
        var civil = tm()
        gmtime_r(&wall, &civil)
        // In place, digit by digit: a formatter per tick would cost more than the calls at low rates.
        let fields: [(value: Int32, at: Int, width: Int)] = [
            (civil.tm_year + 1900, 0, 4), (civil.tm_mon + 1, 5, 2), (civil.tm_mday, 8, 2),
            (civil.tm_hour, 11, 2), (civil.tm_min, 14, 2), (civil.tm_sec, 17, 2),
        ]
        for field in fields {
            var value = field.value
            for position in stride(from: field.at + field.width - 1, through: field.at, by: -1) {
                timestamp[position] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        owed += ratePerTick
        var scanned = 0
        while owed >= 1, scanned < chargePoints.count {
            let next = chargePoints[cursor]
            cursor = (cursor + 1) % chargePoints.count
            scanned += 1
            guard next.state == .ready, !next.outstanding else { continue }
            next.sendCall(kind: kind)
            kind = kind % 4 + 1
            owed -= 1
        }
        if owed > ratePerTick * 50 { owed = ratePerTick * 50 }  // not enough idle charge points: no backlog
    }

    func completed() {
        let second = wallSecond() - startSecond
        if second >= 0, second < completedPerSecond.count { completedPerSecond[second] += 1 }
    }
}

/// One charge point's connection: the only handler in its channel's pipeline. Touched only on its
/// channel's loop, which is `floor.loop` (the bootstrap connects it there).
final class FloorConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum State { case connecting, upgrading, booting, ready, dead }

    /// "FLOOR-00042": its id in the upgrade path and its idTag, formatted once.
    let name: String
    let floor: LoopFloor
    let options: Options
    var state = State.connecting
    var outstanding = false
    var nextID: UInt32 = 1
    var inbound: ByteBuffer?
    var context: ChannelHandlerContext?

    init(index: Int, floor: LoopFloor, options: Options) {
        self.name = "FLOOR-" + pad5(index)
        self.floor = floor
        self.options = options
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        floor.connected += 1
        var key = [UInt8]()
        for _ in 0..<16 { key.append(UInt8(truncatingIfNeeded: floor.nextRandom())) }
        let request = "GET \(options.path)/\(name) HTTP/1.1\r\nHost: \(options.host):\(options.port)\r\n"
            + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(Data(key).base64EncodedString())\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
        state = .upgrading
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .dead
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        floor.errors += 1
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if inbound == nil {
            inbound = bytes
        } else {
            inbound!.writeBuffer(&bytes)
        }
        if state == .upgrading {
            guard let view = inbound!.readableBytesView.firstRange(of: [13, 10, 13, 10]) else { return }
            let head = inbound!.readableBytesView[..<view.upperBound]
            let status = head.count >= 12 ? Array(head.dropFirst(9).prefix(3)) : []
            guard status == Array("101".utf8), head.firstRange(of: Array("ocpp1.6".utf8)) != nil else {
                floor.upgradeFailures += 1
                state = .dead
                context.close(promise: nil)
                return
            }
            inbound!.moveReaderIndex(forwardBy: head.count)
            state = .booting
            sendCall(kind: 0)
        }
        parseFrames(context: context)
    }

    private func parseFrames(context: ChannelHandlerContext) {
        while var buffer = inbound, buffer.readableBytes >= 2 {
            let start = buffer.readerIndex
            let first = buffer.getInteger(at: start, as: UInt8.self)!
            let second = buffer.getInteger(at: start + 1, as: UInt8.self)!
            var length = Int(second & 0x7F), header = 2
            if length == 126 {
                guard buffer.readableBytes >= 4 else { break }
                length = Int(buffer.getInteger(at: start + 2, as: UInt16.self)!)
                header = 4
            } else if length == 127 {
                floor.errors += 1
                state = .dead
                context.close(promise: nil)
                return
            }
            guard buffer.readableBytes >= header + length else { break }
            buffer.moveReaderIndex(forwardBy: header)
            let body = buffer.readSlice(length: length)!
            inbound = buffer.readableBytes > 0 ? buffer : nil
            switch first & 0x0F {
            case 0x1: receivedText(body)
            case 0x9: sendFrame(opcode: 0xA, body.readableBytesView)
            case 0x8:
                state = .dead
                context.close(promise: nil)
                return
            default: break
            }
        }
        if let buffer = inbound, buffer.readableBytes == 0 { inbound = nil }
    }

    /// A text message from the CSMS: the answer to our CALL (3 or 4) or a CALL of its own (2).
    private func receivedText(_ text: ByteBuffer) {
        let view = text.readableBytesView
        guard let type = view.first(where: { $0 != UInt8(ascii: "[") && $0 != UInt8(ascii: " ") }) else { return }
        if type == UInt8(ascii: "2") {
            // Answer any CSMS CALL with an empty payload: the benchmark's CSMS sends none.
            guard let open = view.firstIndex(of: UInt8(ascii: "\"")),
                  let close = view[(open + 1)...].firstIndex(of: UInt8(ascii: "\"")) else { return }
            var answer = Array("[3,\"".utf8)
            answer.append(contentsOf: view[(open + 1)..<close])
            answer.append(contentsOf: "\",{}]".utf8)
            sendFrame(opcode: 0x1, answer)
            return
        }
        guard type == UInt8(ascii: "3") || type == UInt8(ascii: "4") else { return }
        outstanding = false
        if state == .booting {
            if type == UInt8(ascii: "3"), view.firstRange(of: Array("\"Accepted\"".utf8)) != nil {
                state = .ready
                floor.booted += 1
                floor.lastBootAccepted = monotonicSeconds()
            } else {
                floor.errors += 1
            }
            return
        }
        if type == UInt8(ascii: "4") {
            floor.callsErrored += 1
            return
        }
        floor.completed()
    }

    func sendCall(kind: Int) {
        var payload = floor.payload
        floor.payload = []
        payload.removeAll(keepingCapacity: true)
        let id = nextID
        nextID &+= 1
        func add(_ text: StaticString) {
            text.withUTF8Buffer { payload.append(contentsOf: $0) }
        }
        func number(_ value: UInt32) { payload.append(contentsOf: String(value).utf8) }
        add("[2,\""); number(id)
        switch kind {
        case 0:
            add("\",\"BootNotification\",{\"chargePointVendor\":\"ocpp-fleet\",\"chargePointModel\":\"Floor-1\",")
            add("\"firmwareVersion\":\"1.0.0\"}]")
        case 1:
            add("\",\"Heartbeat\",{}]")
        case 2:
            add("\",\"StatusNotification\",{\"connectorId\":1,\"errorCode\":\"NoError\",\"status\":\"Available\",")
            add("\"timestamp\":\""); payload.append(contentsOf: floor.timestamp); add("\"}]")
        case 3:
            add("\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"")
            payload.append(contentsOf: floor.timestamp)
            add("\",\"sampledValue\":[{\"value\":\""); number(id &* 37)
            add("\",\"measurand\":\"Energy.Active.Import.Register\",\"unit\":\"Wh\"},{\"value\":\"7400\",")
            add("\"measurand\":\"Power.Active.Import\",\"unit\":\"W\"}]}]}]")
        default:
            add("\",\"Authorize\",{\"idTag\":\""); payload.append(contentsOf: name.utf8); add("\"}]")
        }
        outstanding = true
        if kind != 0 {
            floor.callsSent += 1
        } else if floor.firstBootSent == 0 {
            floor.firstBootSent = monotonicSeconds()
        }
        sendFrame(opcode: 0x1, payload)
        floor.payload = payload
    }

    /// One masked frame, header and payload in one buffer, written and flushed at once.
    private func sendFrame<Bytes: Collection>(opcode: UInt8, _ payload: Bytes) where Bytes.Element == UInt8 {
        guard let context, state != .dead else { return }
        let length = payload.count
        var frame = context.channel.allocator.buffer(capacity: length + 8)
        frame.writeInteger(0x80 | opcode)
        if length < 126 {
            frame.writeInteger(0x80 | UInt8(length))
        } else {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(length))
        }
        let mask = floor.nextRandom()
        frame.writeInteger(mask, endianness: .little)  // key byte i is bits 8i ..< 8i + 8
        frame.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
            var offset = 0
            for byte in payload {
                out[offset] = byte ^ UInt8(truncatingIfNeeded: mask >> (8 * UInt32(offset & 3)))
                offset += 1
            }
            return length
        }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}

func pad5(_ value: Int) -> String {
    let digits = String(value)
    return digits.count >= 5 ? digits : String(repeating: "0", count: 5 - digits.count) + digits
}

/// VmRSS of this process, bytes (0 where /proc is not there).
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
    return kib * 1024
}

let options = Options.parse(CommandLine.arguments)
let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
let loops = Array(group.makeIterator())
let startSecond = wallSecond()
let floors = loops.enumerated().map { index, loop in
    LoopFloor(loop: loop, startSecond: startSecond, ratePerSecond: options.rate / Double(loops.count),
              seed: 0x9E37_79B9_7F4A_7C15 &+ UInt64(index))
}
let address = try SocketAddress(ipAddress: options.host, port: options.port)
// Before the first connection, as ocpp-fleet's report: fleet-bench counts the RSS above it per charge point.
let baselineRSS = residentBytes()

func connect(_ index: Int) {
    let floor = floors[index % floors.count]
    if floor.firstConnect == 0 { floor.firstConnect = monotonicSeconds() }
    let handler = FloorConnection(index: index, floor: floor, options: options)
    floor.chargePoints.append(handler)
    ClientBootstrap(group: floor.loop)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65_536))
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
        }
        .connect(to: address)
        .whenFailure { _ in
            floor.errors += 1
            handler.state = .dead
        }
}

// The ramp: each loop's tick starts its own charge points (index % loops), linearly over --ramp-up.
let rampTicks = Int(options.rampUp * 1000) / Int(tickMillis)
let totalTicks = Int(options.duration * 1000) / Int(tickMillis)
for (slot, floor) in floors.enumerated() {
    floor.mine = Array(stride(from: slot, to: options.chargePoints, by: floors.count))
    floor.loop.scheduleRepeatedTask(initialDelay: .milliseconds(tickMillis), delay: .milliseconds(tickMillis)) { _ in
        floor.ticks += 1
        let due = rampTicks > 0 ? floor.mine.count * min(floor.ticks, rampTicks) / rampTicks : floor.mine.count
        while floor.started < due {
            connect(floor.mine[floor.started])
            floor.started += 1
        }
        floor.tick()
    }
}

Thread.sleep(forTimeInterval: Double(totalTicks) * Double(tickMillis) / 1000)

struct Totals {
    var connected = 0, booted = 0, errors = 0, callsSent = 0, callsErrored = 0, upgradeFailures = 0
    var firstConnect = Double.infinity, firstBootSent = Double.infinity, lastBootAccepted = 0.0
    var perSecond = [Int](repeating: 0, count: 4096)
}
var totals = Totals()
for floor in floors {
    let part = try floor.loop.submit { () -> Totals in
        var part = Totals()
        part.connected = floor.connected; part.booted = floor.booted; part.errors = floor.errors
        part.callsSent = floor.callsSent; part.callsErrored = floor.callsErrored
        part.upgradeFailures = floor.upgradeFailures
        part.firstConnect = floor.firstConnect == 0 ? .infinity : floor.firstConnect
        part.firstBootSent = floor.firstBootSent == 0 ? .infinity : floor.firstBootSent
        part.lastBootAccepted = floor.lastBootAccepted
        part.perSecond = floor.completedPerSecond
        return part
    }.wait()
    totals.connected += part.connected; totals.booted += part.booted; totals.errors += part.errors
    totals.callsSent += part.callsSent; totals.callsErrored += part.callsErrored
    totals.upgradeFailures += part.upgradeFailures
    totals.firstConnect = min(totals.firstConnect, part.firstConnect)
    totals.firstBootSent = min(totals.firstBootSent, part.firstBootSent)
    totals.lastBootAccepted = max(totals.lastBootAccepted, part.lastBootAccepted)
    for second in 0..<totals.perSecond.count { totals.perSecond[second] += part.perSecond[second] }
}
let lastSecond = min(wallSecond() - startSecond, totals.perSecond.count - 1)
let points = (0...max(0, lastSecond)).map { "{\"time\":\(startSecond + $0),\"sent\":\(totals.perSecond[$0])}" }
let booted = totals.booted > 0
print("{\"chargePoints\":\(options.chargePoints),\"connected\":\(totals.connected),\"bootAccepted\":\(totals.booted),"
      + "\"callsSent\":\(totals.callsSent),\"callErrors\":\(totals.callsErrored),"
      + "\"upgradeFailures\":\(totals.upgradeFailures),\"errors\":\(totals.errors),\"baselineRSSBytes\":\(baselineRSS),"
      + "\"bootRampSeconds\":\(booted ? totals.lastBootAccepted - totals.firstBootSent : 0),"
      + "\"bootRampFromConnectSeconds\":\(booted ? totals.lastBootAccepted - totals.firstConnect : 0),"
      + "\"points\":[\(points.joined(separator: ","))]}")
exit(0)
