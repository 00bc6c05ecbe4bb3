/// The candidate nearest to `word`, if it is close enough to be a plausible typo: the "did you
/// mean" of the fleet spec's keys and values and of threshold metric names.
///
/// Nearness is the case-insensitive edit distance counting a swap of two adjacent letters as one
/// edit (`modle` is one edit from `model`, not two), within a third of the word's length and at
/// least 1. The first of equally near candidates wins.
public func closest(to word: String, among candidates: [String]) -> String? {
    let lowered = Array(word.lowercased())
    let limit = max(1, lowered.count / 3)
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(lowered, Array(candidate.lowercased()))
        if distance <= limit, distance < (best?.distance ?? .max) { best = (candidate, distance) }
    }
    return best?.candidate
}

/// Optimal string alignment distance: insertions, deletions, substitutions and transpositions
/// of adjacent characters, each one edit.
func editDistance(_ lhs: [Character], _ rhs: [Character]) -> Int {
    guard !lhs.isEmpty else { return rhs.count }
    guard !rhs.isEmpty else { return lhs.count }
    var beforePrevious = Array(repeating: 0, count: rhs.count + 1)
    var previous = Array(0 ... rhs.count)
    var current = previous
    for i in 1 ... lhs.count {
        current[0] = i
        for j in 1 ... rhs.count {
            let substitution = previous[j - 1] + (lhs[i - 1] == rhs[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            if i > 1, j > 1, lhs[i - 1] == rhs[j - 2], lhs[i - 2] == rhs[j - 1] {
                current[j] = min(current[j], beforePrevious[j - 2] + 1)
            }
        }
        (beforePrevious, previous, current) = (previous, current, beforePrevious)
    }
    return previous[rhs.count]
}
