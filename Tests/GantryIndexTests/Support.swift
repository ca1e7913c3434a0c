import Foundation
import GantryIndex
import GantryMath

/// Seeded clustered vectors shaped like sentence embeddings: `clusters` random centres, each
/// point its centre plus a Gaussian step inside a random `intrinsicDimension`-dimensional
/// subspace of that cluster (embeddings have low intrinsic dimension) plus a little isotropic
/// noise, normalised.
func clusteredVectors(count: Int, dimension: Int, clusters: Int = 50, intrinsicDimension: Int = 8,
                      spread: Float = 0.5, noise: Float = 0.05, seed: UInt64) -> Matrix {
    var rng = SplitMix64(seed: seed)
    let centres = Matrix.randomNormal(rows: clusters, cols: dimension, using: &rng)
    let bases = (0..<clusters).map { _ in Matrix.randomNormal(rows: intrinsicDimension, cols: dimension, using: &rng) }
    var values = [Float](repeating: 0, count: count * dimension)
    for row in 0..<count {
        let cluster = Int.random(in: 0..<clusters, using: &rng)
        var point = Array(centres.row(cluster))
        for axis in 0..<intrinsicDimension {
            let step = spread * rng.nextGaussian()
            for col in 0..<dimension { point[col] += step * bases[cluster][axis, col] }
        }
        for col in 0..<dimension { values[row * dimension + col] = point[col] + noise * rng.nextGaussian() }
    }
    var matrix = try! Matrix(rows: count, cols: dimension, values: values)
    try! matrix.normalizeRows()
    return matrix
}

/// The exact top k by a naive scan in Double, ties to the lower row.
func naiveTopK(_ data: Matrix, _ query: ArraySlice<Float>, k: Int, allowed: (Int) -> Bool = { _ in true }) -> [Int] {
    var scored: [(row: Int, score: Double)] = []
    for row in 0..<data.rows where allowed(row) {
        var sum = 0.0
        for (x, y) in zip(data.row(row), query) { sum += Double(x) * Double(y) }
        scored.append((row, sum))
    }
    scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.row < $1.row }
    return scored.prefix(k).map(\.row)
}

/// Mean fraction of the exact top k found.
func recall(_ found: [[SearchResult]], _ exact: [[VectorID]]) -> Double {
    let hits = zip(found, exact).map { f, e in Double(Set(f.map(\.id)).intersection(e).count) / Double(max(e.count, 1)) }
    return hits.reduce(0, +) / Double(max(hits.count, 1))
}

func temporaryPath(_ name: String) throws -> String {
    let folder = NSTemporaryDirectory() + "gantry-index-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder + "/" + name
}

func numbers(_ value: Int) -> VectorID { .number(Int64(value)) }
