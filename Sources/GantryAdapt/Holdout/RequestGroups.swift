import Foundation
import GantryMath

/// Which training examples are the same request, so that a request asked many times is held
/// out whole and never lands on both sides of a split.
///
/// Two examples are one request when their texts are equal after case folding and whitespace
/// collapsing, when their vectors are identical, or when their query vectors are near-duplicates
/// (cosine ≥ `nearDuplicateCosine`; this also joins requests whose text was not stored). Groups
/// are closed under these relations (union–find), so a chain of near-duplicates is one request.
public struct RequestGroups: Sendable, Equatable {
    /// The request of each example: numbers `0..<count`, in order of first appearance.
    public let requestOfExample: [Int]
    /// Distinct requests.
    public let count: Int

    /// Groups `vectors` (one row per example; any finite scale) and their `texts` (nil where no
    /// text was kept; then only the vector decides). Throws `AdaptError.invalidSetting` for a
    /// non-finite vector or a text count that does not match. Cost: one blocked sgemm over the
    /// distinct texts, n²·d multiply-adds for n of them — quadratic: 0.4–0.5 s for 12,000,
    /// 1.4 s for 20,000, 9 s for 50,000 on two busy cores (384-d).
    public init(texts: [String?], vectors: Matrix, nearDuplicateCosine: Float) throws(AdaptError) {
        guard texts.count == vectors.rows else {
            throw .invalidSetting("\(vectors.rows) query vectors but \(texts.count) texts")
        }
        guard nearDuplicateCosine > 0, nearDuplicateCosine <= 1 else {
            throw .invalidSetting("near-duplicate cosine must be in (0, 1], got \(nearDuplicateCosine)")
        }
        if let bad = vectors.firstNonFinite() { throw .invalidSetting("query row \(bad.row) has a non-finite value") }
        var sets = DisjointSets(count: texts.count)
        // Equal texts, and identical vectors (bit for bit: a cosine computed in floats can fall
        // just short of 1), first; the pairwise pass then needs one representative of each.
        var firstOfText = [String: Int](), firstOfVector = [[Float]: Int]()
        var representatives = [Int]()
        for (example, text) in texts.enumerated() {
            let vector = Array(vectors.row(example))
            var first = firstOfVector[vector]
            if let text {
                let key = Self.foldedText(text)
                if let firstText = firstOfText[key] {
                    if let first { sets.union(first, firstText) }
                    first = firstText
                } else {
                    firstOfText[key] = example
                }
            }
            if firstOfVector[vector] == nil { firstOfVector[vector] = example }
            if let first { sets.union(first, example) } else { representatives.append(example) }
        }
        try Self.joinNearDuplicates(representatives, of: vectors, atLeast: nearDuplicateCosine, into: &sets)
        var number = [Int: Int]()
        requestOfExample = texts.indices.map { example in
            let root = sets.find(example)
            if let known = number[root] { return known }
            number[root] = number.count
            return number.count - 1
        }
        count = number.count
    }

    /// The requests all of whose examples satisfy `condition` (one flag per example).
    public func requestsOnlyOf(examplesWhere condition: [Bool]) -> Set<Int> {
        var failing = Set<Int>()
        for (example, request) in requestOfExample.enumerated() where !condition[example] { failing.insert(request) }
        return Set(0..<count).subtracting(failing)
    }

    /// The text as requests are compared: lowercased, runs of whitespace as one space, trimmed.
    public static func foldedText(_ text: String) -> String {
        text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Unites every pair of `rows` whose cosine is at least `threshold`, a block of rows at a time
    /// against the rows after the block's start (the upper triangle).
    private static func joinNearDuplicates(_ rows: [Int], of vectors: Matrix, atLeast threshold: Float,
                                           into sets: inout DisjointSets) throws(AdaptError) {
        guard rows.count > 1 else { return }
        var unit: Matrix
        do { unit = try vectors.gatherRows(rows) } catch { throw .math(error) }
        let d = unit.cols
        unit.withUnsafeMutableBufferPointer { values in
            for row in 0..<rows.count {
                // A zero row stays zero: its cosine with every other is 0, so it joins none.
                _ = SIMDKernels.normalize(UnsafeMutableBufferPointer(rebasing: values[row * d..<(row + 1) * d]))
            }
        }
        let block = 512
        let cutoff = threshold - 1e-6  // rounding of normalised floats
        var start = 0
        while start < rows.count {
            let end = min(start + block, rows.count)
            var scores = Matrix(rows: end - start, cols: rows.count - start)
            var failure: MathError?
            do {
                let a = try unit.gatherRows(Array(start..<end))
                unit.withUnsafeBufferPointer { all in
                    let tail = UnsafeBufferPointer(rebasing: all[start * d..<rows.count * d])
                    do throws(MathError) { try Matrix.gemm(a, transposedRows: tail, rows: rows.count - start, into: &scores) } catch { failure = error }
                }
            } catch {
                failure = error
            }
            if let failure { throw .math(failure) }
            for i in 0..<(end - start) {
                scores.withRow(i) { row in
                    for j in (i + 1)..<row.count where row[j] >= cutoff { sets.union(rows[start + i], rows[start + j]) }
                }
            }
            start = end
        }
    }
}

/// Union–find with path halving and union by size.
struct DisjointSets {
    private var parent: [Int]
    private var size: [Int]

    init(count: Int) {
        parent = Array(0..<count)
        size = Array(repeating: 1, count: count)
    }

    mutating func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x {
            parent[x] = parent[parent[x]]
            x = parent[x]
        }
        return x
    }

    mutating func union(_ a: Int, _ b: Int) {
        var (ra, rb) = (find(a), find(b))
        guard ra != rb else { return }
        if size[ra] < size[rb] { swap(&ra, &rb) }
        parent[rb] = ra
        size[ra] += size[rb]
    }
}
