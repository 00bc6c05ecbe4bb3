import ArgumentParser
import Foundation
import Logging

/// Exit codes, listed in `--help`: 0 ok, 1 failed run, 2 bad command line or spec.
enum ExitStatus {
    static let success: Int32 = 0
    static let failedRun: Int32 = 1
    static let badInput: Int32 = 2
}

/// A failure already explained to the user on stderr; carries the exit code.
struct Exit: Error {
    var code: Int32
}

@main
struct OCPPFleet: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "ocpp-fleet",
        abstract: "Load-test an OCPP 1.6J Central System with a fleet of simulated charge points.",
        discussion: """
            Exit codes: 0 success; 1 the run failed (a threshold not met, no charge point \
            connected, transactions left open, ...); 2 bad command line or fleet spec.
            """,
        version: version,
        subcommands: [Run.self, Serve.self, Validate.self, ReportCommand.self]
    )

    /// Parses, runs, and maps every outcome to our exit codes (argument-parser's EX_USAGE
    /// becomes 2).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as Exit {
            Foundation.exit(exit.code)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(ExitStatus.success)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(code == .validationFailure ? ExitStatus.badInput : ExitStatus.failedRun)
        }
    }
}

/// Options every command shares.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    func bootstrap() -> Logger {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "ocpp-fleet")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Writes a line to stdout unbuffered: a parent process reads it at once.
func writeLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// A parent that started us from a thread with SIGTERM/SIGINT blocked (Foundation's
/// `Process` inherits the spawning thread's mask) would leave them pending forever.
func unblockTerminationSignals() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGTERM)
    sigaddset(&set, SIGINT)
    sigprocmask(SIG_UNBLOCK, &set, nil)
}
