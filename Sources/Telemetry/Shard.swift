/// One slice of a fleet split over several processes or pods: shard `index` of `count`
/// (`--shard 1/3`, or Kubernetes' `JOB_COMPLETION_INDEX` with `--shards 3`).
///
/// A shard owns the charge points whose position in the whole fleet (the plan's index − 1) is
/// `index` modulo `count`: interleaved, so every group is spread evenly over the shards
/// (contiguous blocks would hand whole groups to one shard). Every charge point belongs to
/// exactly one shard, and the slicing depends only on `count`, not on how many shards run.
/// It lives here, beside the report, because the report records it (`shard`) and
/// `report merge` checks that merged shards are disjoint and complete.
public struct Shard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// From 0 to `count` − 1, like `JOB_COMPLETION_INDEX`.
    public let index: Int
    /// How many shards the fleet is split into; ≥ 1.
    public let count: Int

    /// The whole fleet as one shard.
    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    /// Shard `index` of `count`; nil unless `0 ≤ index < count`.
    public init?(index: Int, count: Int) {
        guard count >= 1, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
    }

    private init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let index = try container.decode(Int.self, forKey: .index)
        let count = try container.decode(Int.self, forKey: .count)
        guard let shard = Shard(index: index, count: count) else {
            throw DecodingError.dataCorruptedError(
                forKey: .index, in: container, debugDescription: "shard \(index)/\(count): index must be in 0..<count")
        }
        self = shard
    }

    private enum CodingKeys: String, CodingKey { case index, count }

    /// Reads `i/n` (`0/3`, `2/3`); the error says what is wrong in words a user can act on.
    public static func parse(_ text: String) throws(Invalid) -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw Invalid("'\(text)' is not INDEX/COUNT (e.g. 0/3: the first of three shards)")
        }
        guard count >= 1 else { throw Invalid("'\(text)': the shard count must be at least 1, got \(count)") }
        guard let shard = Shard(index: index, count: count) else {
            throw Invalid("'\(text)': the index must be from 0 to \(count - 1) (count - 1), got \(index)")
        }
        return shard
    }

    /// Whether the charge point at `position` (from 0) in the whole fleet is this shard's.
    public func owns(position: Int) -> Bool { position % count == index }

    /// The elements of a whole-fleet array (charge points, their ramp offsets) that are this
    /// shard's, in order.
    public func slice<Element>(_ whole: [Element]) -> [Element] {
        guard count > 1 else { return whole }
        return Array(stride(from: index, to: whole.count, by: count).lazy.map { whole[$0] })
    }

    /// How many of `total` charge points this shard owns.
    public func size(of total: Int) -> Int {
        total <= index ? 0 : (total - index + count - 1) / count
    }

    /// `2/3`.
    public var description: String { "\(index)/\(count)" }

    /// Why a shard could not be read.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
