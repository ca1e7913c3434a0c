import Foundation
import GantryMath
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

@Suite("Sign buckets")
struct SignBucketsTests {
    /// `unit` turned by an angle whose cosine is `cosine`, toward a random direction.
    static func turned(_ unit: [Float], cosine: Float, random: inout SplitMix64) -> [Float] {
        var other = unit.map { _ in random.nextGaussian() }
        let along = zip(other, unit).reduce(0) { $0 + $1.0 * $1.1 }
        other = zip(other, unit).map { $0 - along * $1 }
        let norm = other.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let sine = (1 - cosine * cosine).squareRoot()
        return zip(unit, other).map { cosine * $0 + sine * $1 / norm }
    }

    /// Every stored row within the tolerance of a query is among its candidates (or the query
    /// says to scan), for exact copies, copies turned to just inside the tolerance, and rows
    /// turned just outside it; and candidates are few beside the rows stored.
    @Test func candidatesHoldEveryRowWithinTheTolerance() {
        let (dimension, count, tolerance): (Int, Int, Float) = (384, 1_500, 1e-4)
        let rows = SegmentedIndexTests.unitVectors(count, dimension: dimension, seed: 21)
        var buckets = SignBuckets(dimension: dimension, tolerance: tolerance)
        for (i, row) in rows.enumerated() { buckets.insert(row, ordinal: Int32(i)) }
        var random = SplitMix64(seed: 4)
        var (checked, scanned, probed) = (0, 0, 0)
        for i in 0..<count {
            for cosine: Float in [1, 1 - 0.99 * tolerance, 1 - 0.5 * tolerance, 1 - 3 * tolerance] {
                let query = cosine == 1 ? rows[i] : Self.turned(rows[i], cosine: cosine, random: &random)
                guard let candidates = buckets.candidates(of: query) else { scanned += 1; continue }
                probed += candidates.count
                let score = zip(query, rows[i]).reduce(0) { $0 + $1.0 * $1.1 }
                if score >= 1 - tolerance {
                    checked += 1
                    #expect(candidates.contains(Int32(i)), "row \(i) at cos \(score) is not a candidate")
                }
            }
        }
        #expect(checked > 3 * count - scanned - count / 100, "\(checked) queries within the tolerance checked")
        #expect(scanned < 4 * count / 100, "\(scanned) of \(4 * count) queries had to scan")
        #expect(probed < 4 * count * 4, "\(probed) candidates for \(4 * count) queries over \(count) rows")
    }

    /// A copy (what a published snapshot keeps) is not changed by rows filed into the original
    /// afterwards, whether they fall into a block of buckets both share or into one the copy has
    /// not allocated; and the original finds both its old and new rows.
    @Test func copiesKeepTheirRows() {
        let dimension = 64
        let rows = SegmentedIndexTests.unitVectors(600, dimension: dimension, seed: 31)
        var buckets = SignBuckets(dimension: dimension, tolerance: 1e-4)
        for i in 0..<300 { buckets.insert(rows[i], ordinal: Int32(i)) }
        let copy = buckets
        for i in 300..<600 { buckets.insert(rows[i], ordinal: Int32(i)) }
        for (i, row) in rows.enumerated() {
            if let found = copy.candidates(of: row) {
                #expect(i < 300 ? found.contains(Int32(i)) : found.allSatisfy { $0 < 300 }, "the copy's candidates for row \(i): \(found)")
            }
            if let found = buckets.candidates(of: row) { #expect(found.contains(Int32(i)), "row \(i) is not a candidate of the original") }
        }
    }

    /// The feedback memory finds the same repeated queries through the buckets as by a scan.
    @Test func feedbackMemoryFindsRepeatedQueries() throws {
        let dimension = 64
        var memory = try FeedbackMemory(dimension: dimension, settings: .init())
        let queries = SegmentedIndexTests.unitVectors(2_500, dimension: dimension, seed: 8)
        for (i, query) in queries.enumerated() {
            try memory.add(id: Int64(i), vector: query, entry: .init(correct: "tool_\(i)", wrong: nil, at: Date(), team: nil))
        }
        var random = SplitMix64(seed: 9)
        for i in stride(from: 0, to: queries.count, by: 3) {
            try memory.add(id: Int64(10_000 + i), vector: Self.turned(queries[i], cosine: 1 - 5e-5, random: &random),
                           entry: .init(correct: "again_\(i)", wrong: nil, at: Date(), team: "t"))
        }
        for i in 0..<queries.count {
            let expected = i % 3 == 0 ? "again_\(i)" : "tool_\(i)"
            #expect(try memory.correction(of: queries[i], team: nil) == expected)
            #expect(try memory.correction(of: Self.turned(queries[i], cosine: 1 - 4e-4, random: &random), team: nil) == nil)
        }
    }
}
