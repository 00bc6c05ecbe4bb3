import ArgumentParser
import Foundation
import Telemetry

/// `--shard INDEX/COUNT`, `--shards COUNT` and their environment: which slice of the fleet this
/// process runs (docs/scaling.md, "Shards").
struct ShardOptions: ParsableArguments {
    static let environmentShard = "OCPP_FLEET_SHARD"
    static let environmentIndex = "JOB_COMPLETION_INDEX"

    @Option(help: ArgumentHelp(
        """
        Run one shard of the fleet: INDEX/COUNT, INDEX from 0 to COUNT-1 (1/3: the second of three). \
        Shard i takes the charge points whose position in the fleet is i modulo COUNT; each keeps its \
        id, seed stream and ramp slot of the whole fleet. Default: $\(ShardOptions.environmentShard).
        """,
        valueName: "index/count"))
    var shard: String?

    @Option(help: ArgumentHelp(
        """
        Run one of COUNT shards, the index taken from $\(ShardOptions.environmentIndex) (set by a \
        Kubernetes Indexed Job).
        """,
        valueName: "count"))
    var shards: Int?

    /// The shard this process runs; nil for the whole fleet. Reads `environment` for
    /// `OCPP_FLEET_SHARD` and `JOB_COMPLETION_INDEX`; every error is a `ValidationError` (exit 2).
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Shard? {
        if shard != nil, shards != nil {
            throw ValidationError("give --shard INDEX/COUNT or --shards COUNT, not both")
        }
        if let shard {
            return try Self.parse(shard, source: "--shard")
        }
        if let shards {
            guard shards >= 1 else { throw ValidationError("--shards must be at least 1, got \(shards)") }
            guard let text = environment[Self.environmentIndex], !text.isEmpty else {
                throw ValidationError("""
                    --shards \(shards) takes the shard index from \(Self.environmentIndex), which is not set \
                    (a Kubernetes Indexed Job sets it); elsewhere give --shard INDEX/\(shards)
                    """)
            }
            guard let index = Int(text), let resolved = Shard(index: index, count: shards) else {
                throw ValidationError(
                    "\(Self.environmentIndex)='\(text)' is not a shard index from 0 to \(shards - 1) (--shards \(shards))")
            }
            return resolved
        }
        if let text = environment[Self.environmentShard], !text.isEmpty {
            return try Self.parse(text, source: Self.environmentShard)
        }
        return nil
    }

    private static func parse(_ text: String, source: String) throws -> Shard {
        do throws(Shard.Invalid) {
            return try Shard.parse(text)
        } catch {
            throw ValidationError("\(source): \(error)")
        }
    }
}
