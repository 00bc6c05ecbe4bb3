import ArgumentParser
import FleetSpec
import Foundation

/// `run`'s options for fleets larger than one process or one source address (docs/scaling.md),
/// and the hidden ones its parent gives a worker process.
struct ScaleOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        """
        Split the fleet over N worker processes of this machine, each a shard (i/N) with its own \
        report, merged exactly into one. Default: as many as the open-file limit needs (one \
        descriptor per connection).
        """,
        valueName: "n"))
    var processes: Int?

    @Option(name: .customLong("source-addresses"), help: ArgumentHelp(
        """
        Local addresses the connections go out from, round-robin: addresses and IPv4 ranges, \
        comma-separated (127.0.0.2-127.0.0.254). Overrides csms.sourceAddresses. Default against a \
        loopback CSMS: 127.0.0.2 onwards, 5,000 connections per address.
        """,
        valueName: "addresses"))
    var sourceAddresses: String?

    /// This process is a worker of `run --processes`: it ignores SIGINT (its parent passes
    /// signals on as SIGTERM), ends when its parent dies, and leaves thresholds to the parent.
    @Flag(help: .hidden)
    var worker = false

    /// A worker's CSMS: the embedded one its parent started.
    @Option(help: .hidden)
    var embeddedCSMS: String?

    /// A worker's TLS material for the embedded CSMS, made by its parent.
    @Option(help: .hidden)
    var embeddedTLS: String?

    func validate(trace: String?) throws {
        if let processes, processes < 1 { throw ValidationError("--processes must be at least 1, got \(processes)") }
        if let processes, processes > 1, trace != nil {
            throw ValidationError("--trace writes one file from one process: use it without --processes")
        }
        if let sourceAddresses, case .failure(let invalid) = SourceAddresses.parse(sourceAddresses) {
            throw ValidationError("--source-addresses: \(invalid)")
        }
    }

    /// Ignores SIGINT and ends with the parent (see ``worker``).
    func becomeWorker() {
        signal(SIGINT, SIG_IGN)
        endWhenStdinCloses()
    }

    /// How many worker processes a run of `chargePoints` connections needs, and why; nil for
    /// one process (a worker never splits again).
    func split(chargePoints: Int, descriptorLimit: Int?) -> WorkerSplit? {
        guard !worker else { return nil }
        let perProcess = descriptorLimit.map(FileDescriptorLimit.connectionsPerProcess) ?? Int.max
        if let processes {
            return processes > 1 ? WorkerSplit(count: processes, reason: "--processes \(processes)",
                                               connectionsPerProcess: perProcess) : nil
        }
        guard chargePoints > perProcess, let descriptorLimit else { return nil }
        let count = (chargePoints + perProcess - 1) / perProcess
        return WorkerSplit(count: count, reason: "\(chargePoints) connections need more file descriptors than one "
                               + "process may open (\(descriptorLimit))", connectionsPerProcess: perProcess)
    }
}

/// The worker processes of one run.
struct WorkerSplit: Equatable {
    var count: Int
    /// Why: the command line, or the open-file limit.
    var reason: String
    /// What one process (a worker, or an embedded CSMS) can hold under the open-file limit.
    var connectionsPerProcess: Int
}
