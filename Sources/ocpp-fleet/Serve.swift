import ArgumentParser
import CentralSystem
import Foundation
import Logging
import NIOCore
import NIOPosix
import OCPP
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the embedded reference CSMS (OCPP 1.6J and 2.0.1) on its own.",
        discussion: """
            Accepts charge points on any URL path that ends in the charge point id \
            (/ocpp/<id>, /steve/websocket/CentralSystemService/<id>) that offer the ocpp1.6 or \
            ocpp2.0.1 subprotocol (the client's first choice wins). Prints "listening on HOST:PORT" \
            on stdout when ready; on SIGINT/SIGTERM it closes every connection and prints \
            "stats {json}" with its counters. Security profiles (OCPP 1.6 Security Whitepaper): \
            --password-env asks for HTTP Basic credentials <id>:<password> (profiles 1, 2); \
            --tls-certificate and --tls-key serve wss:// (profiles 2, 3); --client-certificates \
            asks charge points for certificates signed by --client-ca, whose common name must be \
            their id (profile 3).
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int

    @Option(help: "Heartbeat interval sent in BootNotification.conf, seconds.")
    var heartbeatInterval = 300

    @Option(help: ArgumentHelp("Require HTTP Basic authentication with the password in this environment variable "
                               + "(kept off the command line).", valueName: "name"))
    var passwordEnv: String?

    @Option(help: ArgumentHelp("PEM certificate (chain) to serve wss:// with.", valueName: "file"))
    var tlsCertificate: String?

    @Option(help: ArgumentHelp("PEM private key of --tls-certificate.", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("PEM file of the CAs that sign charge point certificates.", valueName: "file"))
    var clientCA: String?

    @Option(help: ArgumentHelp("""
        Client certificates: none, optional (verified when presented; without one the password is \
        required) or required.
        """, valueName: "mode"))
    var clientCertificates: CentralSystemTLS.ClientCertificates = .none

    @Option(name: .customLong("ocpp-version"), help: ArgumentHelp("""
        Serve only this OCPP version (1.6 or 2.0.1); repeat the option to name both. Default: both.
        """, valueName: "version"))
    var ocppVersions: [OCPPVersion] = []

    @Option(help: ArgumentHelp("""
        JSON file of CS→CP calls to send (written by `run` from the fleet spec's scenario section).
        """, valueName: "file"))
    var scenario: String?

    @Option(help: ArgumentHelp(
        """
        Serve from N processes, each on its own port (--port P: P to P+N-1; 0: N free ports), one \
        "listening on HOST:PORT" line each. A charge point keeps its CSMS process across reconnects \
        only if it keeps its port: give each client its own (run does).
        """,
        valueName: "n"))
    var processes = 1

    @Option(help: ArgumentHelp("""
        Event loop threads of each serving process (default: one per core, as for the embedded \
        CSMS processes `run` starts).
        """, valueName: "n"))
    var threads: Int?

    @Flag(help: .hidden)
    var exitOnStdinEof = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard heartbeatInterval >= 0 else { throw ValidationError("--heartbeat-interval must be ≥ 0") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard processes >= 1 else { throw ValidationError("--processes must be at least 1, got \(processes)") }
        guard port == 0 || port + processes - 1 <= 65_535 else {
            throw ValidationError("--port \(port) with --processes \(processes) goes past port 65535")
        }
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-certificate and --tls-key go together")
        }
        if clientCertificates != .none {
            guard tlsCertificate != nil else { throw ValidationError("--client-certificates needs TLS (--tls-certificate, --tls-key)") }
            guard clientCA != nil else { throw ValidationError("--client-certificates \(clientCertificates.rawValue) needs --client-ca") }
        }
        if let passwordEnv {
            guard let value = ProcessInfo.processInfo.environment[passwordEnv], !value.isEmpty else {
                throw ValidationError("--password-env: environment variable \(passwordEnv) is not set")
            }
        }
    }

    func run() async throws {
        unblockTerminationSignals()
        FileDescriptorLimit.raiseSoftToHard()
        let logger = logging.bootstrap()
        if processes > 1 {
            try await serveFromProcesses(logger: logger)
            return
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads ?? System.coreCount)
        var configuration = CentralSystemConfiguration()
        configuration.heartbeatInterval = heartbeatInterval
        if !ocppVersions.isEmpty { configuration.ocppVersions = Set(ocppVersions) }
        configuration.password = passwordEnv.flatMap { ProcessInfo.processInfo.environment[$0] }.map(Secret.init)
        if let tlsCertificate, let tlsKey {
            configuration.tls = CentralSystemTLS(certificateChain: tlsCertificate, privateKey: tlsKey, clientCA: clientCA,
                                                 clientCertificates: clientCertificates)
        }
        if let scenario {
            do {
                let text = try String(contentsOfFile: scenario, encoding: .utf8)
                configuration.scenario = try CentralSystemScenario(jsonText: text)
            } catch {
                printError("serve: cannot read the scenario \(scenario): \(error)")
                throw Exit(code: ExitStatus.badInput)
            }
        }
        let server = CentralSystemServer(configuration: configuration, group: group, logger: logger)
        let bound: Int
        do {
            bound = try await server.start(host: host, port: port)
        } catch {
            printError("serve: cannot listen on \(host):\(port): \(error)")
            throw Exit(code: ExitStatus.failedRun)
        }
        writeLine("listening on \(host):\(bound)")
        if exitOnStdinEof {
            signal(SIGINT, SIG_IGN)
            endWhenStdinCloses()
        }

        let service = UntilShutdown()
        let services = ServiceGroup(configuration: .init(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            // As `run`'s child, Ctrl-C reaches us too (same process group): ignore it, so the
            // fleet can still stop its transactions; the parent ends us with SIGTERM.
            gracefulShutdownSignals: exitOnStdinEof ? [.sigterm] : [.sigint, .sigterm],
            logger: logger))
        try await services.run()
        try? await server.shutdown()
        let stats = server.stats
        writeLine("stats \(stats.jsonLine)")
        try? await group.shutdownGracefully()
    }
}

extension Serve {
    /// `serve --processes N`: N `serve` children, one port each; their "listening on" lines are
    /// ours, SIGINT/SIGTERM end them all, and the one "stats" line at the end adds up theirs
    /// (`connectionsPeak` becomes the sum of the peaks, an upper bound).
    func serveFromProcesses(logger: Logger) async throws {
        let children = ChildProcesses()
        var arguments = ["--host", host, "--heartbeat-interval", String(heartbeatInterval), "--exit-on-stdin-eof",
                         "--log-level", logging.logLevel.rawValue, "--client-certificates", clientCertificates.rawValue]
        if let passwordEnv { arguments += ["--password-env", passwordEnv] }
        if let tlsCertificate, let tlsKey { arguments += ["--tls-certificate", tlsCertificate, "--tls-key", tlsKey] }
        if let clientCA { arguments += ["--client-ca", clientCA] }
        if let scenario { arguments += ["--scenario", scenario] }
        if let threads { arguments += ["--threads", String(threads)] }
        do {
            for index in 0..<processes {
                try children.start(name: "csms \(index + 1)/\(processes)",
                                   arguments: ["serve", "--port", String(port == 0 ? 0 : port + index)] + arguments)
            }
        } catch {
            children.terminateAll()
            printError("serve: cannot start \(processes) processes: \(error)")
            throw Exit(code: ExitStatus.failedRun)
        }
        for index in 0..<processes {
            guard let line = children.line(of: index, startingWith: "listening on ", timeout: 15) else {
                children.terminateAll()
                _ = await children.waitForAll()
                printError("serve: \(children.name(of: index)) did not start listening")
                throw Exit(code: ExitStatus.failedRun)
            }
            writeLine(line)
        }
        let services = ServiceGroup(configuration: .init(
            services: [.init(service: UntilShutdown(), successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: exitOnStdinEof ? [.sigterm] : [.sigint, .sigterm], logger: logger))
        if exitOnStdinEof {
            signal(SIGINT, SIG_IGN)
            endWhenStdinCloses()
        }
        try await services.run()
        children.terminateAll()
        _ = await children.waitForAll()
        var total: [String: Any] = [:]
        for index in 0..<processes {
            guard let line = children.stdoutLines(of: index).last(where: { $0.hasPrefix("stats ") }),
                  let stats = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
            else { continue }
            total = Self.adding(stats, to: total)
        }
        let data = (try? JSONSerialization.data(withJSONObject: total, options: [.sortedKeys])) ?? Data("{}".utf8)
        writeLine("stats " + String(decoding: data, as: UTF8.self))
    }

    /// `lhs` and `rhs` with every number at the same key path added.
    static func adding(_ lhs: [String: Any], to rhs: [String: Any]) -> [String: Any] {
        var sum = rhs
        for (key, value) in lhs {
            switch (value, sum[key]) {
            case let (number as Int, other as Int): sum[key] = number + other
            case let (object as [String: Any], other as [String: Any]): sum[key] = adding(object, to: other)
            case (_, nil): sum[key] = value
            default: break
            }
        }
        return sum
    }
}

extension CentralSystemTLS.ClientCertificates: ExpressibleByArgument {}
extension OCPPVersion: ExpressibleByArgument {}

/// Runs until a graceful shutdown begins.
struct UntilShutdown: Service {
    func run() async throws {
        try? await gracefulShutdown()
    }
}
