import GantryMath

/// Learned baselines to measure the adapter against.
public enum Baselines {
    /// "Tool centroids": each tool's vector moved to `normalize((1 − mix)·t + mix·c)`, where c is
    /// the normalised mean of its training queries' vectors (tools without training queries keep
    /// their vector). `rows[i]` is the row in `queries` of the query labelled `positives[i]`.
    public static func centroidTools(tools: Matrix, queries: Matrix, positives: [[Int]], rows: [Int], mix: Float) throws(AdaptError) -> Matrix {
        var moved = tools
        moved.addRows(try centroidShifts(tools: tools, queries: queries, positives: positives, rows: rows, mix: mix))
        do { try moved.normalizeRows() } catch { throw .math(error) }
        return moved
    }

    private static func centroidShifts(tools: Matrix, queries: Matrix, positives: [[Int]], rows: [Int], mix: Float) throws(AdaptError) -> [[Float]?] {
        guard positives.count == rows.count, queries.cols == tools.cols else {
            throw .invalidSetting("centroids: \(rows.count) query rows for \(positives.count) label lists")
        }
        let d = tools.cols
        var sums = [[Float]?](repeating: nil, count: tools.rows)
        for (row, labels) in zip(rows, positives) {
            for tool in labels {
                if sums[tool] == nil { sums[tool] = [Float](repeating: 0, count: d) }
                for c in 0..<d { sums[tool]![c] += queries[row, c] }
            }
        }
        return sums.enumerated().map { tool, sum in
            guard let sum else { return nil }
            let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { return nil }
            return (0..<d).map { mix * (sum[$0] / norm - tools[tool, $0]) }
        }
    }
}
