import GantryMath

/// Seeded synthetic vectors for tests and benchmarks (so that Swift tests, package-benchmark
/// suites and the peers' comparison scripts can share data without shipping files).
public enum SyntheticEmbeddings {
    /// Seeded clustered vectors shaped like sentence embeddings: `clusters` random centers, each
    /// point its centre plus a Gaussian step inside a random `intrinsicDimension`-dimensional
    /// subspace of that cluster (embeddings have low intrinsic dimension) plus a little isotropic
    /// noise, normalized.
    public static func clustered(count: Int, dimension: Int, clusters: Int = 50, intrinsicDimension: Int = 8,
                                 spread: Float = 0.5, noise: Float = 0.05, seed: UInt64) -> Matrix {
        var rng = SplitMix64(seed: seed)
        let centers = Matrix.randomNormal(rows: clusters, cols: dimension, using: &rng)
        let bases = (0..<clusters).map { _ in Matrix.randomNormal(rows: intrinsicDimension, cols: dimension, using: &rng) }
        var values = [Float](repeating: 0, count: count * dimension)
        for row in 0..<count {
            let cluster = Int.random(in: 0..<clusters, using: &rng)
            var point = Array(centers.row(cluster))
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
}
